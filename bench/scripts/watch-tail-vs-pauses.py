#!/usr/bin/env python3
"""Lines up the slowest events of a WatchFanoutBench set with the JVM pauses of its four processes.

Run the benchmark with --events-csv and a GC/safepoint log per JVM, decorated with wall-clock
milliseconds, e.g.

    java -Xmx1g -Xlog:gc,safepoint:file=$OUT/bench-gc.log:timemillis,uptime -cp ... WatchFanoutBench \
         --work-dir $OUT/work --events-csv $OUT/events.csv --spread \
         --node-jvm-opts "-Xmx512m -Xlog:gc,safepoint:file=$OUT/node-gc-%p.log:timemillis,uptime" > $OUT/out.txt

then:  bench/scripts/watch-tail-vs-pauses.py $OUT

It prints, per measured run, how many events reached their *first* watcher in each latency bucket
(an event whose first delivery is 10-15 ms late is usually one the watching follower learned was
committed only with the next entry), how many late events were delivered together with the next
event, and the slowest 2 % of events (by median delivery) with every pause of 2 ms or more (GC or
other safepoint) of any of the JVMs that overlapped the event's write or delivery. Nodes are named
n1..n3 in launch order (their logs are named by pid).
"""
import csv
import glob
import os
import re
import sys

BUCKETS = ((0, 2), (2, 5), (5, 8), (8, 10), (10, 12), (12, 15), (15, 20), (20, float('inf')))


def pauses(out_dir):
    found = []
    node_logs = glob.glob(os.path.join(out_dir, 'node-gc-*.log'))
    pids = sorted(int(re.search(r'node-gc-(\d+)', f).group(1)) for f in node_logs)
    names = {f'node-gc-{p}.log': f'n{i + 1}' for i, p in enumerate(pids)}
    names['bench-gc.log'] = 'bench'
    for f in node_logs + glob.glob(os.path.join(out_dir, 'bench-gc.log')):
        jvm = names[os.path.basename(f)]
        for line in open(f):
            m = re.match(r'\[[\d.]+s\]\[(\d+)ms\] Safepoint "(\w+)".*Total: (\d+) ns', line)
            if m and int(m.group(3)) >= 2_000_000:
                total = int(m.group(3)) / 1e6
                end = int(m.group(1))
                found.append((end - total, end, jvm, m.group(2), total))
    return found


def main(out_dir):
    out = open(os.path.join(out_dir, 'out.txt')).read()
    m = re.search(r'# leader (n\d), watchers on (n\d)', out)
    if m:
        print(f'leader {m.group(1)}, watchers on {m.group(2)}')
    rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(open(os.path.join(out_dir, 'events.csv')))]
    by_event = {(int(r['run']), int(r['event'])): r for r in rows}
    for run in sorted({int(r['run']) for r in rows}):
        firsts = [r['first_ms'] for r in rows if r['run'] == run]
        counts = [sum(1 for f in firsts if lo <= f < hi) for lo, hi in BUCKETS]
        late = [(run, int(r['event'])) for r in rows if r['run'] == run and r['first_ms'] > 10]
        with_next = 0
        for key in late:
            nxt = by_event.get((key[0], key[1] + 1))
            r = by_event[key]
            if nxt and abs((nxt['ack_utc_ms'] + nxt['first_ms']) - (r['ack_utc_ms'] + r['first_ms'])) < 1.5:
                with_next += 1
        print(f'run {run}: events by first delivery (ms) '
              + ', '.join(f'{lo}-{hi if hi != float("inf") else ""}: {c}' for (lo, hi), c in zip(BUCKETS, counts))
              + f'; first > 10 ms: {len(late)}, of which delivered with the next event: {with_next}')
    ps = pauses(out_dir)
    rows.sort(key=lambda r: -r['median_ms'])
    worst = rows[:max(1, len(rows) // 50)]
    hit = {}
    print(f'slowest {len(worst)} events (by median delivery) and overlapping pauses >= 2 ms:')
    for r in worst:
        over = [p for p in ps if p[1] >= r['ack_utc_ms'] - r['write_ms'] and p[0] <= r['ack_utc_ms'] + r['median_ms']]
        for p in over:
            hit[p[2]] = hit.get(p[2], 0) + 1
        print(f"  run {int(r['run'])} event {int(r['event']):4d}: write {r['write_ms']:6.1f} first {r['first_ms']:6.1f} "
              f"median {r['median_ms']:6.1f} last {r['last_ms']:6.1f} ms | "
              + ', '.join(f'{p[2]} {p[3]} {p[4]:.0f} ms' for p in over))
    print(f'{sum(1 for r in worst if any(p[1] >= r["ack_utc_ms"] - r["write_ms"] and p[0] <= r["ack_utc_ms"] + r["median_ms"] for p in ps))}'
          f' of {len(worst)} overlap a pause; pauses by JVM: {hit}')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
