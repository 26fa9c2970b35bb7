#!/usr/bin/env python3
"""Idle CPU of 3 members started from an unpacked tarball (bin/muster-server, plaintext, no instances).

CPU of each member over its first 60 s, then over WINDOW_S seconds from SETTLE_S after the start
(utime + stime from /proc/PID/stat), RSS, and the window's CPU ticks per thread (grouped by the
kernel's 15-character thread name). Writes OUT_PREFIX.txt (and .json); members on BASE_PORT.. .
usage: member-idle-cpu.py DIST_DIR OUT_PREFIX [SETTLE_S=180] [WINDOW_S=60] [BASE_PORT=27100] [ENV=VALUE ...]
(heap 256m, serial GC; with JAVA_OPTS=-XX:NativeMemoryTracking=summary as an ENV=VALUE argument and NMT=1
in the environment, each member's NMT summary is appended)"""
import os, sys, subprocess, time, re, collections, shutil, json
dist, out = sys.argv[1], sys.argv[2]
settle = int(sys.argv[3]) if len(sys.argv) > 3 else 180
window = int(sys.argv[4]) if len(sys.argv) > 4 else 60
base = int(sys.argv[5]) if len(sys.argv) > 5 else 27100
extra = dict(a.split('=', 1) for a in sys.argv[6:])
work = out + '-work'
shutil.rmtree(work, ignore_errors=True); os.makedirs(work)
ids = ['n1', 'n2', 'n3']
def ports(i): return base + 10*i, base + 10*i + 1, base + 10*i + 2, base + 10*i + 3
peers = ','.join(f'{n}=127.0.0.1:{ports(i)[0]}/127.0.0.1:{ports(i)[1]}/127.0.0.1:{ports(i)[2]}' for i, n in enumerate(ids))
procs = []
env = dict(os.environ, MUSTER_HEAP='256m', MUSTER_GC='-XX:+UseSerialGC', MUSTER_TMPDIR=work + '/tmp')
env.update(extra)
for i, n in enumerate(ids):
    r, g, p, m = ports(i)
    cmd = [dist + '/bin/muster-server', '--id', n, '--raft', f'127.0.0.1:{r}', '--grpc', f'127.0.0.1:{g}', '--peer', f'127.0.0.1:{p}',
           '--peers', peers, '--data-dir', f'{work}/{n}', '--metrics-port', str(m)]
    procs.append(subprocess.Popen(cmd, env=env, stdout=open(f'{work}/{n}.log', 'w'), stderr=subprocess.STDOUT))
HZ = os.sysconf('SC_CLK_TCK')
def threads(pid):
    res = {}
    for t in os.listdir(f'/proc/{pid}/task'):
        try:
            s = open(f'/proc/{pid}/task/{t}/stat').read()
        except FileNotFoundError:
            continue
        name = s[s.index('(')+1:s.rindex(')')]
        f = s[s.rindex(')')+2:].split()
        res[t] = (name, int(f[11]) + int(f[12]))
    return res
def proc_ticks(pid):
    s = open(f'/proc/{pid}/stat').read(); f = s[s.rindex(')')+2:].split(); return int(f[11]) + int(f[12])
def rss(pid):
    for l in open(f'/proc/{pid}/status'):
        if l.startswith('VmRSS'): return int(l.split()[1]) // 1024
def leader():
    for i, n in enumerate(ids):
        try:
            t = subprocess.run(['curl', '-s', f'http://127.0.0.1:{ports(i)[3]}/metrics'], capture_output=True, text=True, timeout=5).stdout
        except Exception:
            continue
        for l in t.splitlines():
            if re.match(r'muster_raft_leader\S* 1(\.0)?$', l) or re.match(r'muster_raft_is_leader\S* 1(\.0)?$', l):
                return n
    return '?'
start = time.time()
# first-minute CPU (0..60 s) per member
t0 = [proc_ticks(p.pid) for p in procs]
time.sleep(60)
first = [(proc_ticks(p.pid) - a) / HZ / 60 * 100 for p, a in zip(procs, t0)]
time.sleep(max(0, settle - (time.time() - start)))
b = [threads(p.pid) for p in procs]; pb = [proc_ticks(p.pid) for p in procs]
time.sleep(window)
a = [threads(p.pid) for p in procs]; pa = [proc_ticks(p.pid) for p in procs]
L = leader()
res = {'leader': L, 'members': {}}
with open(out + '.txt', 'w') as fo:
    for i, n in enumerate(ids):
        cpu = (pa[i] - pb[i]) / HZ / window * 100
        groups = collections.Counter()
        for t, (name, ticks) in a[i].items():
            d = ticks - b[i].get(t, (name, 0))[1]
            if d:
                groups[re.sub(r'[-#]?\d+$', '', name)] += d
        line = f'{n}{"(L)" if n == L else ""}: first60s {first[i]:.1f}% steady {cpu:.2f}% rss {rss(procs[i].pid)}MB threads {len(a[i])}'
        print(line); fo.write(line + '\n')
        for g, d in groups.most_common(25):
            fo.write(f'   {d:5d} {g}\n')
        res['members'][n] = {'first': first[i], 'steady': cpu, 'rss': rss(procs[i].pid)}
    if os.environ.get('NMT'):
        for p in procs:
            fo.write(subprocess.run(['jcmd', str(p.pid), 'VM.native_memory', 'summary'], capture_output=True, text=True).stdout)
json.dump(res, open(out + '.json', 'w'))
for p in procs: p.terminate()
for p in procs: p.wait(20)
