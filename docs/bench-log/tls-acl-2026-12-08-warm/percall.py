#!/usr/bin/env python3
# percall.py OFFDIR RATE_OFF ONDIR RATE_ON : µs of CPU per call by thread group and process, window 120..150 s
import sys, collections, subprocess
def groups(d):
    pids = dict(l.split() for l in open(d + '/pids.txt'))
    rows = [l.split() for l in open(d + '/threads.txt')]
    t0 = float(rows[0][0]); snaps = collections.defaultdict(dict)
    for t, pid, tid, ticks, comm in rows: snaps[round(float(t) - t0)][(pid, tid)] = (int(ticks), comm)
    times = sorted(snaps); ta = min(times, key=lambda t: abs(t-120)); tb = min(times, key=lambda t: abs(t-150))
    g = collections.Counter()
    leader = None
    for k, (ticks, comm) in snaps[tb].items():
        who = pids.get(k[0]); c = comm.rstrip('0123456789-_').replace('muster-n1-', 'muster-nX-').replace('muster-n2-', 'muster-nX-').replace('muster-n3-', 'muster-nX-')
        cpu = (ticks - snaps[ta].get(k, (0,))[0]) / 100 / (tb - ta)
        g[(who, c)] += cpu
    tot = collections.Counter()
    for (who, c), v in g.items(): tot[who] += v
    lead = max((w for w in tot if w != 'bench'), key=lambda w: tot[w])
    out = collections.Counter()
    for (who, c), v in g.items():
        role = 'bench' if who == 'bench' else ('leader' if who == lead else 'follower')
        out[(role, c)] += v
    return out
off = groups(sys.argv[1]); on = groups(sys.argv[3]); ro = float(sys.argv[2]); rn = float(sys.argv[4])
keys = set(off) | set(on)
rows = sorted(((on[k]*1e6/rn - off[k]*1e6/ro, k) for k in keys), reverse=True)
print(f'{"role/thread group":45s} {"off µs/call":>11s} {"on µs/call":>11s} {"diff":>7s}')
for d, k in rows[:14]: print(f'{k[0]+" "+k[1]:45s} {off[k]*1e6/ro:11.1f} {on[k]*1e6/rn:11.1f} {d:7.1f}')
for role in ('leader', 'follower', 'bench'):
    a = sum(v for k, v in off.items() if k[0] == role) * 1e6 / ro; b = sum(v for k, v in on.items() if k[0] == role) * 1e6 / rn
    print(f'TOTAL {role:39s} {a:11.1f} {b:11.1f} {b-a:7.1f}')
