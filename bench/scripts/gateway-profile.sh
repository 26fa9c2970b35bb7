#!/usr/bin/env bash
# Where the gateway spends its CPU compared with nginx (issue 5), cheaply: same backends and configs as
# gateway-vs-nginx.sh, one 1-event-loop gateway (G1, -XX:+PreserveFramePointer for perf call graphs)
# and a 1-worker nginx, then for each under wrk load:
#   - CPU per request (utime / stime of the proxy process over 15 s),
#   - system calls per request (strace -c -f for 5 s; slows the process, the counts stay exact),
#   - perf profile (cpu-clock, call graphs, 10 s; JIT symbols through `jcmd Compiler.perfmap`),
#   - for the gateway, a JFR recording (settings=profile, 20 s) summarized by JfrHotspots.java.
# Needs nginx, wrk, strace, perf (linux-perf); run the gateway build first (see gateway-vs-nginx.sh).
#
#   bench/scripts/gateway-profile.sh          # OUT_DIR=/tmp/gateway-profile.<date>, PORT_BASE=28100
#   QUICK=1 GW_JAVA_OPTS="-Dio.netty.allocator.type=pooled" bench/scripts/gateway-profile.sh
#                                             # CPU per request only (no strace / perf / JFR), extra JVM options
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT_DIR=${OUT_DIR:-/tmp/gateway-profile.$(date +%Y%m%d-%H%M%S)}
PORT_BASE=${PORT_BASE:-28100}
CONNS=${CONNS:-64}
QUICK=${QUICK:-0}
GW_JAVA_OPTS=${GW_JAVA_OPTS:-}
WRK_THREADS=${WRK_THREADS:-2}
mkdir -p "$OUT_DIR"
log() { echo "[$(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for c in nginx wrk strace perf java jcmd curl; do command -v $c >/dev/null || die "$c not found"; done

# the same backends / nginx / gateway configuration as gateway-vs-nginx.sh (1 worker, 1 event loop)
cd "$REPO"
[[ -d gateway/target/classes/io/muster/gateway ]] || die "build the gateway first"
mvn -q -B -o -pl gateway dependency:build-classpath -DincludeScope=runtime \
  -Dmdep.outputFile="$OUT_DIR/classpath.txt" >"$OUT_DIR/classpath.log" 2>&1 || die "classpath, see $OUT_DIR"
GW_CP="$REPO/gateway/target/classes:$(cat "$OUT_DIR/classpath.txt")"

PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

B1=$((PORT_BASE + 1)) B2=$((PORT_BASE + 2)) B3=$((PORT_BASE + 3)) GWP=$((PORT_BASE + 10)) NGP=$((PORT_BASE + 11))
# shellcheck source=nginx-common.sh
source "$REPO/bench/scripts/nginx-common.sh"
common() { # prefix: one worker
  nginx_common "$1"
  echo "worker_processes 1;"
  echo "events { worker_connections 4096; }"
}
mkdir -p "$OUT_DIR/backends" "$OUT_DIR/nginx" "$OUT_DIR/gateway"
{
  common "$OUT_DIR/backends"
  echo "http {"
  nginx_http_common "$OUT_DIR/backends"
  for p in $B1 $B2 $B3; do echo "  server { listen 127.0.0.1:$p backlog=4096; location / { return 200 \"hello\\n\"; } }"; done
  echo "}"
} >"$OUT_DIR/backends/nginx.conf"
{
  common "$OUT_DIR/nginx"
  echo "http {"
  nginx_http_common "$OUT_DIR/nginx"
  echo "  upstream backends { server 127.0.0.1:$B1; server 127.0.0.1:$B2; server 127.0.0.1:$B3; keepalive 64; keepalive_requests 1000000; }"
  echo "  server { listen 127.0.0.1:$NGP backlog=4096; location / { proxy_pass http://backends; proxy_http_version 1.1;"
  echo "    proxy_set_header Connection \"\"; proxy_set_header Host \$http_host;"
  echo "    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto \$scheme;"
  echo "    proxy_set_header X-Forwarded-Host \$http_host; } }"
  echo "}"
} >"$OUT_DIR/nginx/nginx.conf"
cat >"$OUT_DIR/gateway/gateway.yaml" <<EOF
listeners: [{host: 127.0.0.1, port: $GWP}]
upstream: {max-idle-per-loop: 64}
routes: [{name: bench, prefix: /, service: bench, strategy: round-robin}]
static-instances:
  bench: [{id: b1, host: 127.0.0.1, port: $B1}, {id: b2, host: 127.0.0.1, port: $B2}, {id: b3, host: 127.0.0.1, port: $B3}]
EOF
for n in backends nginx; do
  nginx -p "$OUT_DIR/$n" -e "$OUT_DIR/$n/error.log" -c "$OUT_DIR/$n/nginx.conf" >"$OUT_DIR/$n/out.log" 2>&1 &
  PIDS+=("$!")
  eval "PID_$n=$!"
done
# shellcheck disable=SC2086 # GW_JAVA_OPTS is a list of options
java -Xmx512m -XX:+UseG1GC -Dio.netty.eventLoopThreads=1 -XX:+PreserveFramePointer $GW_JAVA_OPTS -cp "$GW_CP" \
  io.muster.gateway.Main --config "$OUT_DIR/gateway/gateway.yaml" >"$OUT_DIR/gateway/gateway.log" 2>&1 &
PIDS+=("$!")
PID_gateway=$!
for p in $B1 $B2 $B3 $GWP $NGP; do wait_port "$p" || die "port $p did not open"; done
PID_nginx_worker=$(pgrep -P "$PID_nginx" | head -1)
log "up: gateway pid $PID_gateway :$GWP, nginx worker $PID_nginx_worker :$NGP, backends :$B1-$B3"

load() { # port seconds file
  wrk "-t$WRK_THREADS" "-c$CONNS" "-d$2s" "http://127.0.0.1:$1/" >"$3" 2>&1
}
reqs() { awk '/requests in/ {print $1}' "$1"; }
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

log "warmup 30 s (gateway), 10 s (nginx)"
load $GWP 30 "$OUT_DIR/gateway/warmup.txt"
load $NGP 10 "$OUT_DIR/nginx/warmup.txt"

REPORT="$OUT_DIR/report.txt"
: >"$REPORT"
for target in gateway nginx; do
  if [[ $target == gateway ]]; then port=$GWP pid=$PID_gateway; else port=$NGP pid=$PID_nginx_worker; fi
  d="$OUT_DIR/$target"
  # CPU per request
  t0=$(ticks "$pid")
  load "$port" 15 "$d/cpu-wrk.txt"
  t1=$(ticks "$pid")
  n=$(reqs "$d/cpu-wrk.txt")
  awk -v t="$target" -v a="$t0" -v b="$t1" -v n="$n" -v hz="$(getconf CLK_TCK)" -v rps="$(awk '/Requests\/sec/ {print $2}' "$d/cpu-wrk.txt")" 'BEGIN {
    split(a, x, " "); split(b, y, " "); u = (y[1] - x[1]) / hz; s = (y[2] - x[2]) / hz
    printf "%s: %.0f req/s, CPU per request %.1f us (user %.1f, sys %.1f)\n", t, rps, 1e6 * (u + s) / n, 1e6 * u / n, 1e6 * s / n }' >>"$REPORT"
  [[ $QUICK == 1 ]] && continue
  # system calls per request: strace attached around a 5 s wrk run, counts divided by its requests
  strace -c -f -p "$pid" -o "$d/strace.txt" >/dev/null 2>&1 &
  spid=$!
  sleep 1
  load "$port" 5 "$d/strace-wrk.txt"
  sleep 0.5
  kill -INT "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  n=$(reqs "$d/strace-wrk.txt")
  echo "$target: system calls per proxied request (strace -c -f over a 5 s wrk run of $n requests; futex = JVM threads parking):" >>"$REPORT"
  awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {printf "   %-14s %.2f\n", $NF, $4 / n}' "$d/strace.txt" >>"$REPORT"
  # perf
  load "$port" 14 "$d/perf-wrk.txt" &
  wpid=$!
  sleep 2
  perf record -e cpu-clock -F 997 -g -p "$pid" -o "$d/perf.data" -- sleep 10 >"$d/perf-record.log" 2>&1 || true
  if [[ $target == gateway ]]; then jcmd "$pid" Compiler.perfmap >/dev/null 2>&1 || true; fi
  wait "$wpid"
  set +o pipefail # `perf report | head` ends with SIGPIPE
  {
    echo "$target: perf, CPU by binary"
    perf report -i "$d/perf.data" --no-children --sort dso -q -g none 2>/dev/null | head -6
    echo "$target: perf, time under each system call wrapper (inclusive)"
    perf report -i "$d/perf.data" --children --sort sym -q -g none 2>/dev/null \
      | grep -E '\] (__GI___writev|__send|__libc_recv|epoll_ctl|epoll_pwait2?|epoll_wait|__libc_read|__libc_write)$' || true
    echo "$target: perf, top symbols (self)"
    perf report -i "$d/perf.data" --no-children --sort sym -q -g none 2>/dev/null | head -25 | cut -c1-160
    if [[ $target == gateway ]]; then
      echo "gateway: perf, gateway methods (inclusive; JIT-inlined callees are folded into their caller)"
      perf report -i "$d/perf.data" --children --sort sym -q -g none 2>/dev/null | grep -E 'io\.muster|IdleStateHandler|ResourceLeak' | head -25 | cut -c1-160
    fi
  } >>"$REPORT"
  set -o pipefail
done

[[ $QUICK == 1 ]] && { cat "$REPORT"; exit 0; }
# JFR of the gateway in steady state
load $GWP 25 "$OUT_DIR/gateway/jfr-wrk.txt" &
wpid=$!
sleep 2
jcmd "$PID_gateway" JFR.start name=prof settings=profile filename="$OUT_DIR/gateway/gateway.jfr" >/dev/null
sleep 20
jcmd "$PID_gateway" JFR.stop name=prof >/dev/null
wait "$wpid"
jstat -gc "$PID_gateway" >"$OUT_DIR/gateway/jstat.txt" 2>&1 || true
java "$REPO/bench/src/main/java/io/muster/bench/gateway/JfrHotspots.java" "$OUT_DIR/gateway/gateway.jfr" 30 >"$OUT_DIR/gateway/hotspots.txt" 2>&1 || true
cat "$REPORT"
echo
echo "JFR summary: $OUT_DIR/gateway/hotspots.txt; perf data: perf report -i $OUT_DIR/<target>/perf.data"
