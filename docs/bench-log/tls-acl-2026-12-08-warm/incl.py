#!/usr/bin/env python3
# incl.py PERF_TXT THREAD_SUBSTR PATTERN... : inclusive share of samples of matching threads whose stack has each pattern
import sys, re
txt = open(sys.argv[1], errors='replace').read(); th = sys.argv[2]; pats = sys.argv[3:]
n = 0; hits = [0]*len(pats)
for block in txt.split('\n\n'):
    lines = [l for l in block.split('\n') if l.strip()]
    if not lines or th not in lines[0]: continue
    n += 1; st = '\n'.join(lines[1:])
    for i, p in enumerate(pats):
        if p in st: hits[i] += 1
print(f'{n} samples of {th}')
for p, h in zip(pats, hits): print(f'  {100*h/max(n,1):5.1f}%  {h:5d}  {p}')
