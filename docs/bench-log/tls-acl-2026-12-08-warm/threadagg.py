#!/usr/bin/env python3
# threadagg.py DIR T_FROM T_TO : per-thread CPU % (of a core) between two times (seconds after the first sample)
import sys, collections
d = sys.argv[1]; a = float(sys.argv[2]); b = float(sys.argv[3])
pids = dict(l.split() for l in open(d + '/pids.txt'))
rows = [l.split() for l in open(d + '/threads.txt')]
t0 = float(rows[0][0])
snaps = collections.defaultdict(dict)
for t, pid, tid, ticks, comm in rows:
    snaps[round(float(t) - t0)][(pid, tid)] = (int(ticks), comm)
times = sorted(snaps)
ta = min(times, key=lambda t: abs(t - a)); tb = min(times, key=lambda t: abs(t - b))
print(f'window {ta}..{tb} s after the first sample')
per = []
for k, (ticks, comm) in snaps[tb].items():
    before = snaps[ta].get(k, (0, comm))[0]
    per.append((100.0 * (ticks - before) / 100 / (tb - ta), pids.get(k[0], k[0]), k[1], comm))
bygroup = collections.Counter()
for pct, who, tid, comm in per:
    g = comm.rstrip('0123456789-')
    bygroup[(who, g)] += pct
for who in sorted(set(p[1] for p in per)):
    tot = sum(p[0] for p in per if p[1] == who)
    print(f'--- {who}: {tot:.1f} %')
    for pct, w, tid, comm in sorted((p for p in per if p[1] == who), reverse=True)[:10]:
        if pct >= 0.5: print(f'   {pct:5.1f}  {tid} {comm}')
    for (w, g), v in sorted(bygroup.items(), key=lambda x: -x[1]):
        if w == who and v >= 1: print(f'      group {v:5.1f}  {g}')
