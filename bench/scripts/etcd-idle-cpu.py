#!/usr/bin/env python3
"""3 etcd members on 127.0.0.1 (election 1000 ms, heartbeat 100 ms), idle CPU over a window after settling."""
import os, sys, subprocess, time, shutil
out = sys.argv[1]; settle = int(sys.argv[2]); window = int(sys.argv[3]); base = int(sys.argv[4])
work = out + '-work'; shutil.rmtree(work, ignore_errors=True); os.makedirs(work)
names = ['e1', 'e2', 'e3']
cluster = ','.join(f'{n}=http://127.0.0.1:{base + 10*i + 1}' for i, n in enumerate(names))
procs = []
for i, n in enumerate(names):
    c, p = base + 10*i, base + 10*i + 1
    procs.append(subprocess.Popen(['etcd', '--name', n, '--data-dir', f'{work}/{n}', '--listen-client-urls', f'http://127.0.0.1:{c}',
        '--advertise-client-urls', f'http://127.0.0.1:{c}', '--listen-peer-urls', f'http://127.0.0.1:{p}',
        '--initial-advertise-peer-urls', f'http://127.0.0.1:{p}', '--initial-cluster', cluster, '--initial-cluster-state', 'new',
        '--election-timeout', '1000', '--heartbeat-interval', '100'], stdout=open(f'{work}/{n}.log', 'w'), stderr=subprocess.STDOUT))
HZ = os.sysconf('SC_CLK_TCK')
def ticks(pid):
    s = open(f'/proc/{pid}/stat').read(); f = s[s.rindex(')')+2:].split(); return int(f[11]) + int(f[12])
def rss(pid):
    for l in open(f'/proc/{pid}/status'):
        if l.startswith('VmRSS'): return int(l.split()[1]) // 1024
t0 = [ticks(p.pid) for p in procs]; time.sleep(60)
first = [(ticks(p.pid) - a) / HZ / 60 * 100 for p, a in zip(procs, t0)]
time.sleep(max(0, settle - 60))
b = [ticks(p.pid) for p in procs]; time.sleep(window); a = [ticks(p.pid) for p in procs]
with open(out + '.txt', 'w') as fo:
    for i, n in enumerate(names):
        line = f'{n}: first60s {first[i]:.1f}% steady {(a[i]-b[i])/HZ/window*100:.2f}% rss {rss(procs[i].pid)}MB'
        print(line); fo.write(line + '\n')
for p in procs: p.terminate()
for p in procs: p.wait(20)
