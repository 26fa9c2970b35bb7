#!/usr/bin/env python3
# perfagg.py PERF_SCRIPT_TXT JSTACK : per thread (full Java name via nid), samples; for the hot threads,
# the share of samples whose stack contains TLS / ACL / gRPC frames, and the top leaf symbols.
import sys, re, collections
txt = open(sys.argv[1], errors='replace').read()
names = {}
if len(sys.argv) > 2:
    for m in re.finditer(r'^"([^"]+)".*? nid=0x([0-9a-f]+)', open(sys.argv[2], errors='replace').read(), re.M):
        names[int(m.group(2), 16)] = m.group(1)
CATS = [
    ('BoringSSL leaf', lambda st: 'tcnative' in st[0]),
    ('kernel leaf', lambda st: '[kernel' in st[0]),
    ('interpreter', lambda st: 'Interpreter' in st[0] or 'interpreter' in st[0]),
]
per_thread = collections.Counter(); cats = collections.defaultdict(collections.Counter); leaves = collections.defaultdict(collections.Counter)
total = 0
for block in txt.split('\n\n'):
    lines = [l for l in block.split('\n') if l.strip()]
    if not lines: continue
    m = re.match(r'^\s*(.+?)\s+(\d+)(?:/(\d+))?\s+(?:\[\d+\]\s+)?[\d.]+:', lines[0])
    if not m: continue
    tid = int(m.group(3) or m.group(2))
    name = names.get(tid, m.group(1) + '#' + str(tid))
    frames = []
    for l in lines[1:]:
        p = l.strip().split(None, 1)
        frames.append(p[1] if len(p) > 1 else p[0])
    if not frames: continue
    total += 1
    per_thread[name] += 1
    for c, f in CATS:
        if f(frames): cats[name][c] += 1
    leaf = re.sub(r'\+0x[0-9a-f]+', '', frames[0])
    leaves[name][leaf[:140]] += 1
print(f'{total} samples')
for name, n in per_thread.most_common(14):
    print(f'{n:6d} {100*n/total:5.1f}%  {name}   ' + ', '.join(f'{c} {100*v/n:.0f}%' for c, v in cats[name].items()))
print()
for name, n in per_thread.most_common(4):
    print('==', name)
    for l, v in leaves[name].most_common(12): print(f'   {v:5d} {100*v/n:5.1f}%  {l}')
