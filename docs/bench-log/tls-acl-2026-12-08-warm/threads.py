#!/usr/bin/env python3
# threads.py OUT PID... : every 5 s, per-thread CPU ticks (utime+stime) of each pid until all exit
import os, sys, time
out = open(sys.argv[1], 'a'); pids = sys.argv[2:]
while True:
    alive = False; t = time.time()
    for pid in pids:
        try: tids = os.listdir(f'/proc/{pid}/task')
        except FileNotFoundError: continue
        alive = True
        for tid in tids:
            try: s = open(f'/proc/{pid}/task/{tid}/stat').read()
            except OSError: continue
            comm = s[s.index('(')+1:s.rindex(')')].replace(' ', '_'); f = s[s.rindex(')')+2:].split()
            out.write(f'{t:.2f} {pid} {tid} {int(f[11])+int(f[12])} {comm}\n')
    out.flush()
    if not alive: break
    time.sleep(5)
