#!/bin/bash
# diag.sh MODE(off|on) FIRSTWARMUP TAG: one RegisterBench --target leader invocation with frame pointers,
# per-thread CPU of every member and the bench every 5 s, perf on the leader and the bench JVM for 10 s
# ending 20 s before the first measured window.
set -u
MODE=$1; FW=$2; TAG=$3
cd /work/wt-p99
OUT=/tmp/p99/$TAG; rm -rf $OUT; mkdir -p $OUT
FLAGS=""; [ $MODE = on ] && FLAGS="--tls --peer-tls --acl"; [ $MODE = peer ] && FLAGS="--peer-tls"
echo "# $(date -u +%FT%TZ) build $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +wt): $TAG $MODE" > $OUT/reg.txt
java -XX:+PreserveFramePointer -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.muster.bench.RegisterBench --target leader --runs 3 --duration-s 10 --warmup-s 10 --first-warmup-s $FW $FLAGS \
  --work-dir $OUT/work --node-jvm-opts "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages -XX:+UseSerialGC -XX:+PreserveFramePointer" >> $OUT/reg.txt 2>&1 &
BENCH=$!
until grep -q "^# leader" $OUT/reg.txt; do sleep 1; kill -0 $BENCH 2>/dev/null || exit 1; done
T0=$(date +%s)
LID=$(grep "^# leader" $OUT/reg.txt | awk '{print $3}')
pids=""; for p in $(pgrep -f "$OUT/work.*io.muster.server.Main"); do pids="$pids $p"; id=$(tr '\0' ' ' </proc/$p/cmdline | grep -o -- "--id [^ ]*" | head -1 | cut -d' ' -f2); echo "$p $id" >> $OUT/pids.txt; done
echo "$BENCH bench" >> $OUT/pids.txt
LPID=$(awk -v l=$LID '$2==l{print $1}' $OUT/pids.txt)
python3 /tmp/p99/threads.py $OUT/threads.txt $pids $BENCH &
if [ "${TAG#s3}" = "$TAG" ]; then
sleep $((FW + 33))
perf record -e cpu-clock -F 499 -g -p $LPID -o $OUT/leader.data -- sleep 8 >/dev/null 2>&1 &
perf record -e cpu-clock -F 499 -g -p $BENCH -o $OUT/bench.data -- sleep 8 >/dev/null 2>&1 &
sleep 2; jstack $LPID > $OUT/leader-jstack.txt 2>&1; jstack $BENCH > $OUT/bench-jstack.txt 2>&1
sleep 4
jcmd $LPID Compiler.perfmap >/dev/null 2>&1; jcmd $BENCH Compiler.perfmap >/dev/null 2>&1
fi
wait $BENCH
sleep 6
cp /tmp/perf-$LPID.map /tmp/perf-$BENCH.map $OUT/ 2>/dev/null
echo "$(date -u +%T) $TAG: $(grep -A3 '## Median' $OUT/reg.txt | tail -1)"
