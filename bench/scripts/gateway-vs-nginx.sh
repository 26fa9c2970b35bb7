#!/usr/bin/env bash
# Gateway vs nginx (issue 5): wrk against the Muster gateway and against nginx, both proxying to the
# same 3 local backends, on the same machine in the same run. Prints a markdown table with the median
# requests/s and p99 of each target and the gateway/nginx ratios.
#
#   bench/scripts/gateway-vs-nginx.sh                 # everything: install check, build, run, table
#   SKIP_BUILD=1 RUNS=5 bench/scripts/gateway-vs-nginx.sh
#
# Topology (all on 127.0.0.1):
#   backends : ONE separate nginx instance (worker_processes 1) with three server blocks on
#              $PORT_BASE+1..+3, each `return 200 "hello\n"` (+ an X-Backend header to check the
#              balancing). Both proxies face exactly these backends.
#   nginx-w1 : nginx proxy, worker_processes 1,    upstream keepalive 64, HTTP/1.1 upstream
#   nginx-auto: nginx proxy, worker_processes auto (= nproc)
#   gw-ioN-GC: Muster gateway (io.muster.gateway.Main --config), static-instances, one route `/`,
#              round-robin, -Xmx512m, N Netty event loops (-Dio.netty.eventLoopThreads=N: Main has no
#              option for it and defaults to 2 x cores), GC = G1 (JVM default) or ParallelGC.
#              A `-base` suffix runs the build in $BASE_REPO instead (an A/B of two commits in one
#              run: build that tree with the same mvn command, writing gateway/target/classpath.txt).
# Every target stays up for the whole run; each is warmed ($WARMUP of wrk load) first, then the
# measured rounds go round-robin over the targets (gateway / nginx alternating), $RUNS rounds.
# Before each measured run the script waits (polling every 30 s, at most $MAX_WAIT s) until no
# other benchmark / test JVM / Maven build is running, and records the load average and how much CPU
# was used by processes that are not part of this benchmark while it ran ("foreign CPU").
#
# Environment (defaults):
#   RUNS=5 DURATION=20s WARMUP=20s CONNS=64 WRK_THREADS=2
#   TARGETS="gw-io1-g1 nginx-w1 gw-io1-par gw-io2-g1 nginx-auto gw-io2-par"
#           (gw-io<N>-<g1|par>[-<pooled|adaptive|unpooled>][-noleak], nginx-w<N>, nginx-auto; each 1-loop gateway runs next to nginx-w1, each
#           2-loop gateway next to nginx-auto, so the same-CPU-budget pairs are measured back to back)
#   PORT_BASE=28000   SKIP_BUILD=0   MAX_WAIT=900 (s, per run)   QUIET_PATTERN=(see below)
#   FOREIGN_MAX=20      (% of one core that processes not ours may use when a run starts)
#   FOREIGN_MAX_RUN=5   (... and during a measured run; above it the run is flagged and measured
#   RETRIES=2            again, at most RETRIES times; the table uses the last attempt of each round)
#   OUT_DIR=/tmp/gateway-vs-nginx.<date>  (raw wrk output, configs, logs, results.md)
#   JFR_TARGET=<gw target>  record JFR (method samples) on that gateway during the measured runs and
#                           print its hottest frames at the end
set -euo pipefail

RUNS=${RUNS:-5}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-20s}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
TARGETS=${TARGETS:-"gw-io1-g1 nginx-w1 gw-io1-par gw-io2-g1 nginx-auto gw-io2-par"}
PORT_BASE=${PORT_BASE:-28000}
SKIP_BUILD=${SKIP_BUILD:-0}
MAX_WAIT=${MAX_WAIT:-900}
QUIET_PATTERN=${QUIET_PATTERN:-'RegisterBench|WatchFanoutBench|HealthCheckBench|[a-z]Bench( |$)|-bench-|surefire|failsafe|plexus-classworlds|gateway-vs-nginx'}
FOREIGN_MAX=${FOREIGN_MAX:-20}
FOREIGN_MAX_RUN=${FOREIGN_MAX_RUN:-5}
RETRIES=${RETRIES:-2}
JFR_TARGET=${JFR_TARGET:-}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT_DIR=${OUT_DIR:-/tmp/gateway-vs-nginx.$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT_DIR"
HZ=$(getconf CLK_TCK)

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- install check
need_install=()
command -v nginx >/dev/null || need_install+=(nginx)
command -v wrk >/dev/null || need_install+=(wrk)
if ((${#need_install[@]})); then
  [[ $(id -u) == 0 ]] || die "missing ${need_install[*]}: run 'apt-get install -y nginx wrk' as root"
  log "installing ${need_install[*]} (Debian packages)"
  apt-get install -y "${need_install[@]}" >"$OUT_DIR/apt.log" 2>&1 \
    || { apt-get update >>"$OUT_DIR/apt.log" 2>&1 && apt-get install -y "${need_install[@]}" >>"$OUT_DIR/apt.log" 2>&1; } \
    || die "apt-get install failed, see $OUT_DIR/apt.log"
fi
command -v java >/dev/null || die "java not found"
command -v mvn >/dev/null || die "mvn not found"

# ---------------------------------------------------------------- build the gateway
cd "$REPO"
if [[ $SKIP_BUILD != 1 ]]; then
  log "building the gateway (mvn -q -B -o -pl gateway -am package -DskipTests)"
  built=0
  for attempt in 1 2 3 4 5; do
    if mvn -q -B -o -pl gateway -am package -DskipTests >"$OUT_DIR/build.log" 2>&1; then built=1; break; fi
    log "build attempt $attempt failed (modules edited concurrently?); installing deps and retrying in 60 s"
    mvn -q -B -o install -pl proto,registry-server,registry-client,registry-client/cli,registry-client/demo -DskipTests >>"$OUT_DIR/build.log" 2>&1 || true
    sleep 60
  done
  ((built)) || die "gateway build failed, see $OUT_DIR/build.log"
fi
[[ -d gateway/target/classes/io/muster/gateway ]] || die "gateway/target/classes missing (build first)"
if [[ -s gateway/target/classpath.txt ]]; then
  cp gateway/target/classpath.txt "$OUT_DIR/classpath.txt"
else
  # the gateway module does not write classpath.txt itself: resolve it from the local repository
  mvn -q -B -o -pl gateway dependency:build-classpath -DincludeScope=runtime \
    -Dmdep.outputFile="$OUT_DIR/classpath.txt" >"$OUT_DIR/classpath.log" 2>&1 \
    || die "cannot resolve the gateway classpath, see $OUT_DIR/classpath.log"
fi
GW_CP="$REPO/gateway/target/classes:$(cat "$OUT_DIR/classpath.txt")"

# ---------------------------------------------------------------- process bookkeeping
declare -A PID PORT KIND
STARTED_PIDS=()
cleanup() {
  set +e
  for p in "${STARTED_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null
  done
  for p in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port pid
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# utime+stime ticks of a process and its direct children (nginx master + workers; a JVM is one process)
tree_ticks() {
  local total=0 p f
  for p in "$1" $(pgrep -P "$1" 2>/dev/null); do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }
    set -- $f
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}
# busy and total ticks of the whole machine
# (busy = user + nice + system: irq/softirq time, mostly loopback packet processing for our own
# traffic, is not attributed to any process, so it is left out rather than counted as foreign)
machine_ticks() {
  local _cpu u n s i w q sq st
  read -r _cpu u n s i w q sq st _ </proc/stat
  echo "$((u + n + s)) $((u + n + s + i + w + q + sq + st)) $((i + w)) $((q + sq)) $st"
}

# ---------------------------------------------------------------- backends: one nginx, three servers
BACKEND_PORTS=($((PORT_BASE + 1)) $((PORT_BASE + 2)) $((PORT_BASE + 3)))
for p in "${BACKEND_PORTS[@]}"; do port_free "$p" || die "port $p busy (set PORT_BASE)"; done

# nginx_common / nginx_http_common
# shellcheck source=nginx-common.sh
source "$REPO/bench/scripts/nginx-common.sh"

start_nginx() { # name config-file
  local name=$1 conf=$2 prefix
  prefix=$(dirname "$conf")
  nginx -t -q -p "$prefix" -e "$prefix/error.log" -c "$conf" >"$prefix/test.log" 2>&1 \
    || die "$name: invalid nginx config: $(cat "$prefix/test.log")"
  nginx -p "$prefix" -e "$prefix/error.log" -c "$conf" >"$prefix/stdout.log" 2>&1 &
  PID[$name]=$!
  STARTED_PIDS+=("$!")
}

BK="$OUT_DIR/backends"
mkdir -p "$BK"
{
  nginx_common "$BK"
  echo "worker_processes 1;"
  echo "events { worker_connections 4096; }"
  echo "http {"
  nginx_http_common "$BK"
  for i in 0 1 2; do
    echo "  server { listen 127.0.0.1:${BACKEND_PORTS[$i]} backlog=4096; location / { add_header X-Backend b$((i + 1)); return 200 \"hello\\n\"; } }"
  done
  echo "}"
} >"$BK/nginx.conf"
start_nginx backends "$BK/nginx.conf"
for p in "${BACKEND_PORTS[@]}"; do wait_port "$p" "${PID[backends]}" || die "backend :$p did not start"; done
log "backends up on ${BACKEND_PORTS[*]} (nginx pid ${PID[backends]}, 1 worker)"

# ---------------------------------------------------------------- targets
next_port=$((PORT_BASE + 10))
start_target() { # name
  local name=$1 port dir
  port=$next_port
  next_port=$((next_port + 1))
  port_free "$port" || die "port $port busy (set PORT_BASE)"
  dir="$OUT_DIR/$name"
  mkdir -p "$dir"
  PORT[$name]=$port
  case $name in
    nginx-*)
      local workers=${name#nginx-}
      workers=${workers#w}
      KIND[$name]=nginx
      {
        nginx_common "$dir"
        echo "worker_processes $workers;"
        echo "events { worker_connections 4096; }"
        echo "http {"
        nginx_http_common "$dir"
        echo "  upstream backends {"
        for p in "${BACKEND_PORTS[@]}"; do echo "    server 127.0.0.1:$p;"; done
        echo "    keepalive 64;"
        echo "    keepalive_requests 1000000;"
        echo "  }"
        echo "  server {"
        echo "    listen 127.0.0.1:$port backlog=4096;"
        echo "    location / {"
        echo "      proxy_pass http://backends;"
        echo "      proxy_http_version 1.1;"
        echo "      proxy_set_header Connection \"\";"
        # the same forwarding headers the gateway adds (ProxyHeaders.toUpstream)
        echo "      proxy_set_header Host \$http_host;"
        echo "      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
        echo "      proxy_set_header X-Forwarded-Proto \$scheme;"
        echo "      proxy_set_header X-Forwarded-Host \$http_host;"
        echo "    }"
        echo "  }"
        echo "}"
      } >"$dir/nginx.conf"
      start_nginx "$name" "$dir/nginx.conf"
      ;;
    gw-io*)
      local spec=${name#gw-io} io gc gcflag rest extra=()
      io=${spec%%-*}
      rest=${spec#*-}
      gc=${rest%%-*}
      case $gc in
        g1) gcflag=-XX:+UseG1GC ;;
        par) gcflag=-XX:+UseParallelGC ;;
        *) die "unknown GC in target $name (g1|par)" ;;
      esac
      # optional further parts: the Netty allocator (adaptive is Netty 4.2's default), noleak
      # (-Dio.netty.leakDetection.level=disabled)
      if [[ $rest == *-* ]]; then
        local opt
        for opt in $(tr '-' ' ' <<<"${rest#*-}"); do
          case $opt in
            pooled | adaptive | unpooled) extra+=("-Dio.netty.allocator.type=$opt") ;;
            noleak) extra+=("-Dio.netty.leakDetection.level=disabled") ;;
            base) ;;
            *) die "unknown option '$opt' in target $name (pooled|adaptive|unpooled|noleak|base)" ;;
          esac
        done
      fi
      KIND[$name]=gateway
      cat >"$dir/gateway.yaml" <<EOF
listeners:
  - {host: 127.0.0.1, port: $port, idle-timeout-ms: 60000}
upstream:
  max-connections-per-endpoint: 1024
  max-idle-per-loop: 64          # keep-alive pool, like nginx 'keepalive 64'
  idle-timeout-ms: 60000
routes:
  - name: bench
    prefix: /
    service: bench
    strategy: round-robin
static-instances:
  bench:
    - {id: b1, host: 127.0.0.1, port: ${BACKEND_PORTS[0]}}
    - {id: b2, host: 127.0.0.1, port: ${BACKEND_PORTS[1]}}
    - {id: b3, host: 127.0.0.1, port: ${BACKEND_PORTS[2]}}
EOF
      local cp=$GW_CP
      if [[ $name == *-base ]]; then
        [[ -n ${BASE_REPO:-} && -s $BASE_REPO/gateway/target/classpath.txt ]] \
          || die "$name: set BASE_REPO to a built tree with gateway/target/classpath.txt"
        cp="$BASE_REPO/gateway/target/classes:$(cat "$BASE_REPO/gateway/target/classpath.txt")"
      fi
      local cmd=(java -Xmx512m "$gcflag" "-Dio.netty.eventLoopThreads=$io" "${extra[@]}"
        -cp "$cp" io.muster.gateway.Main --config "$dir/gateway.yaml")
      printf '%q ' "${cmd[@]}" | sed "s#$cp#\$CP#" >"$dir/command.txt"
      echo "# CP: $([[ $name == *-base ]] && echo "$BASE_REPO" || echo "$REPO")" >>"$dir/command.txt"
      "${cmd[@]}" >"$dir/gateway.log" 2>&1 &
      PID[$name]=$!
      STARTED_PIDS+=("$!")
      ;;
    *) die "unknown target $name" ;;
  esac
  wait_port "$port" "${PID[$name]}" || die "$name did not start, see $dir"
  # sanity: 200 "hello" through the proxy, and all three backends reached
  local seen=""
  for _ in 1 2 3 4 5 6; do
    local resp
    resp=$(curl -s -i "http://127.0.0.1:$port/" 2>/dev/null || true)
    [[ $resp == *"200 OK"* && $resp == *hello* ]] || die "$name: bad response: $resp"
    seen+=$(grep -i '^x-backend' <<<"$resp" | tr -d '\r' | awk '{print $2}')" "
  done
  local distinct
  distinct=$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c . || true)
  ((distinct == 3)) || log "WARNING: $name reached only backends: $seen"
  log "$name up on :$port (pid ${PID[$name]}), backends seen: $(tr ' ' '\n' <<<"$seen" | sort -u | xargs)"
}

command -v curl >/dev/null || die "curl not found"
for t in $TARGETS; do start_target "$t"; done

# ---------------------------------------------------------------- quiet machine
# pids of this script's process tree and its ancestors: they match the pattern but are not "others"
related_to_us() { # pid
  local p=$1 pp
  [[ -r /proc/$p/stat ]] || return 0 # already gone (e.g. the subshell that ran pgrep)
  for _ in $(seq 1 64); do
    [[ $p == "$$" ]] && return 0
    pp=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || return 0
    [[ -z $pp || $pp == 0 || $pp == "$p" ]] && break
    p=$pp
  done
  # ancestor of this script (e.g. `timeout ... gateway-vs-nginx.sh`)?
  p=$$
  for _ in $(seq 1 64); do
    pp=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) || return 1
    [[ $pp == "$1" ]] && return 0
    [[ -z $pp || $pp == 0 ]] && return 1
    p=$pp
  done
  return 1
}
our_ticks() { # CPU ticks of every process this script started (backends and targets)
  local n=0 p
  for p in "${STARTED_PIDS[@]}"; do n=$((n + $(tree_ticks "$p"))); done
  echo "$n"
}
foreign_cpu_now() { # % of one core used over ~5 s by processes that are not ours (our targets are idle)
  local m0 m1 o0 o1 w0 w1
  w0=$(date +%s%N); m0=$(machine_ticks); o0=$(our_ticks)
  sleep 5
  w1=$(date +%s%N); m1=$(machine_ticks); o1=$(our_ticks)
  awk -v a="${m0%% *}" -v b="${m1%% *}" -v o0="$o0" -v o1="$o1" -v hz="$HZ" -v w="$(((w1 - w0) / 1000000))" \
    'BEGIN {f = ((b - a) - (o1 - o0)) / hz / (w / 1000) * 100; printf "%.0f", f < 0 ? 0 : f}'
}
# Waits (polling every 30 s, at most MAX_WAIT s in total per run) until no process matching
# QUIET_PATTERN is running and other processes use less than FOREIGN_MAX % of a core.
wait_quiet() {
  local start=$SECONDS polls=0 others pid rest foreign
  while :; do
    others=""
    while read -r pid rest; do
      [[ -n $pid ]] || continue
      related_to_us "$pid" || others+="$pid ${rest:0:100}; "
    done < <(pgrep -fa -- "$QUIET_PATTERN" || true)
    foreign=$(foreign_cpu_now)
    if [[ -z $others ]] && ((foreign <= FOREIGN_MAX)); then
      return 0
    fi
    if ((SECONDS - start >= MAX_WAIT)); then
      log "still busy after ${MAX_WAIT}s (foreign CPU ${foreign}%, load $(cut -d' ' -f1-3 /proc/loadavg)), measuring anyway: ${others:0:300}"
      return 0
    fi
    ((polls++ % 5 == 0)) && log "waiting for other work (foreign CPU ${foreign}%, load $(cut -d' ' -f1-3 /proc/loadavg)): ${others:0:300}"
    sleep 30
  done
}

# ---------------------------------------------------------------- wrk
to_ms() { # 1.23ms / 456.00us / 1.01s
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}

RESULTS="$OUT_DIR/runs.tsv"
printf 'target\tround\trps\tp50_ms\tp99_ms\terrors\tproxy_cpu_pct\twrk_cpu_pct\tbackend_cpu_pct\tforeign_cpu_pct\tload1\tclean\tidle_pct\tirq_pct\tsteal_pct\n' >"$RESULTS"

run_wrk() { # target round duration(measured? 1/0)
  local name=$1 round=$2 dur=$3 measured=$4 out
  out="$OUT_DIR/$name/wrk-$round.txt"
  local load1 t0 m0 b0 m1 t1 b1 wall0 wall1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(tree_ticks "${PID[$name]}"); b0=$(tree_ticks "${PID[backends]}"); m0=$(machine_ticks)
  wall0=$(date +%s%N)
  echo "# wrk -t$WRK_THREADS -c$CONNS -d$dur --latency http://127.0.0.1:${PORT[$name]}/   (load1 before: $load1)" >"$out"
  /usr/bin/time -f 'wrk_cpu %U %S' -a -o "$out" \
    wrk "-t$WRK_THREADS" "-c$CONNS" "-d$dur" --latency "http://127.0.0.1:${PORT[$name]}/" >>"$out" 2>&1 \
    || die "wrk failed against $name, see $out"
  wall1=$(date +%s%N)
  t1=$(tree_ticks "${PID[$name]}"); b1=$(tree_ticks "${PID[backends]}"); m1=$(machine_ticks)
  kill -0 "${PID[$name]}" 2>/dev/null || die "$name died during the run, see $OUT_DIR/$name"
  ((measured)) || return 0
  local rps p50 p99 errors wrkcpu
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
  wrkcpu=$(awk '/^wrk_cpu/ {print $2 + $3}' "$out")
  # CPU in % of one core over the wall time; foreign = machine busy - proxy - backends - wrk
  awk -v name="$name" -v round="$round" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v err="$errors" \
      -v t0="$t0" -v t1="$t1" -v b0="$b0" -v b1="$b1" -v m0="$m0" -v m1="$m1" -v wrk="$wrkcpu" \
      -v w0="$wall0" -v w1="$wall1" -v hz="$HZ" -v load1="$load1" -v max="$FOREIGN_MAX_RUN" 'BEGIN {
    wall = (w1 - w0) / 1e9
    split(m0, a, " "); split(m1, b, " ")
    busy = (b[1] - a[1]) / hz
    proxy = (t1 - t0) / hz; back = (b1 - b0) / hz
    foreign = busy - proxy - back - wrk; if (foreign < 0) foreign = 0
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%.0f\t%.0f\t%.0f\n", name, round, rps, p50, p99, err,
      100 * proxy / wall, 100 * wrk / wall, 100 * back / wall, 100 * foreign / wall, load1,
      (100 * foreign / wall <= max) ? "yes" : "no",
      100 * (b[3] - a[3]) / hz / wall, 100 * (b[4] - a[4]) / hz / wall, 100 * (b[5] - a[5]) / hz / wall }' >>"$RESULTS"
  log "$(tail -1 "$RESULTS" | awk -F'\t' '{printf "%-12s round %s: %10s req/s  p99 %8s ms  err %s  proxy cpu %s%%  foreign cpu %s%%  load1 %s%s", $1, $2, $3, $5, $6, $7, $10, $11, $12 == "yes" ? "" : "  POLLUTED"}')"
  [[ $(tail -1 "$RESULTS" | cut -f12) == yes ]]
}

log "warmup: $WARMUP of load per target"
for t in $TARGETS; do
  wait_quiet
  run_wrk "$t" warmup "$WARMUP" 0
done
if [[ -n $JFR_TARGET ]]; then
  [[ ${KIND[$JFR_TARGET]:-} == gateway ]] || die "JFR_TARGET=$JFR_TARGET is not a gateway target"
  # after the warmup, so the profile shows the steady state (startup and JIT excluded)
  jcmd "${PID[$JFR_TARGET]}" JFR.start name=gwbench settings=profile \
    filename="$OUT_DIR/$JFR_TARGET/gateway.jfr" >"$OUT_DIR/$JFR_TARGET/jfr-start.log" 2>&1 \
    || die "JFR.start failed, see $OUT_DIR/$JFR_TARGET/jfr-start.log"
  log "JFR recording on $JFR_TARGET during the measured runs"
fi
for r in $(seq 1 "$RUNS"); do
  for t in $TARGETS; do
    for attempt in $(seq 0 "$RETRIES"); do
      wait_quiet
      if run_wrk "$t" "$r" "$DURATION" 1; then break; fi
      ((attempt < RETRIES)) && log "$t round $r: other processes used more than $FOREIGN_MAX_RUN% of a core, measuring again"
    done
  done
done

# ---------------------------------------------------------------- table
# the run that counts for each round of a target: the last attempt (a polluted run is measured again)
final_rows() { awk -F'\t' -v t="$1" '$1 == t {last[$2] = $0; order[$2] = NR} END {for (r in last) print order[r] "\t" last[r]}' "$RESULTS" | sort -n | cut -f2-; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A MED_RPS MED_P99
TABLE="$OUT_DIR/results.md"
{
  echo "date: $(date -Is)  host: $(hostname)  nproc: $(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2)  wrk: $(wrk --version 2>&1 | head -1 | awk '{print $2}')  java: $(java -version 2>&1 | head -1)"
  echo "wrk -t$WRK_THREADS -c$CONNS -d$DURATION --latency, warmup $WARMUP per target, $RUNS measured rounds, targets alternating: $TARGETS"
  echo
  echo "| target | req/s (median) | p99 ms (median) | p50 ms (median) | req/s per run | proxy CPU % of a core | foreign CPU % | load1 at start of runs | errors | polluted runs |"
  echo "|---|---:|---:|---:|---|---:|---:|---|---:|---:|"
  for t in $TARGETS; do
    rows=$(final_rows "$t")
    MED_RPS[$t]=$(cut -f3 <<<"$rows" | median)
    MED_P99[$t]=$(cut -f5 <<<"$rows" | median)
    p50=$(cut -f4 <<<"$rows" | median)
    cpu=$(cut -f7 <<<"$rows" | median)
    foreign=$(cut -f10 <<<"$rows" | median)
    per=$(cut -f3 <<<"$rows" | awk '{printf "%s%.0f", (NR > 1 ? " / " : ""), $1}')
    loads=$(cut -f11 <<<"$rows" | paste -sd/ -)
    errs=$(cut -f6 <<<"$rows" | awk '{n += $1} END {print n}')
    dirty=$(cut -f12 <<<"$rows" | grep -c no || true)
    printf '| %s | %.0f | %.2f | %.2f | %s | %.0f | %.0f | %s | %s | %s |\n' "$t" "${MED_RPS[$t]}" "${MED_P99[$t]}" "$p50" \
      "$per" "$cpu" "$foreign" "$loads" "$errs" "$dirty"
  done
  echo
  echo "| gateway / nginx | ratio of median req/s | median of per-round ratios | p99 gateway / nginx (medians) |"
  echo "|---|---:|---:|---:|"
  for g in $TARGETS; do
    [[ ${KIND[$g]} == gateway ]] || continue
    for n in $TARGETS; do
      [[ ${KIND[$n]} == nginx ]] || continue
      per_round=$(join -t $'\t' <(final_rows "$g" | cut -f2,3 | sort) <(final_rows "$n" | cut -f2,3 | sort) \
        | awk -F'\t' '{print $2 / $3}' | median)
      awk -v g="$g" -v n="$n" -v a="${MED_RPS[$g]}" -v b="${MED_RPS[$n]}" -v pa="${MED_P99[$g]}" -v pb="${MED_P99[$n]}" \
        -v pr="$per_round" 'BEGIN {printf "| %s / %s | %.2f | %.2f | %.2f ms / %.2f ms |\n", g, n, a / b, pr, pa, pb}'
    done
  done
} >"$TABLE"
echo
cat "$TABLE"
echo
echo "raw results: $RESULTS, wrk outputs and configs under $OUT_DIR"

if [[ -n $JFR_TARGET ]]; then
  jcmd "${PID[$JFR_TARGET]}" JFR.stop name=gwbench >"$OUT_DIR/$JFR_TARGET/jfr-stop.log" 2>&1 || true
  if [[ -s $OUT_DIR/$JFR_TARGET/gateway.jfr ]]; then
    java "$REPO/bench/src/main/java/io/muster/bench/gateway/JfrHotspots.java" "$OUT_DIR/$JFR_TARGET/gateway.jfr" 25 \
      >"$OUT_DIR/$JFR_TARGET/hotspots.txt" 2>&1 || true
    echo
    echo "JFR hot spots of $JFR_TARGET (measured runs only): $OUT_DIR/$JFR_TARGET/hotspots.txt"
    cat "$OUT_DIR/$JFR_TARGET/hotspots.txt"
  fi
fi
