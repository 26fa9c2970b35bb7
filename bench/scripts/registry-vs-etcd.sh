#!/usr/bin/env bash
# Muster vs etcd (issue 24): the same closed-loop driver (RegisterBench's; EtcdBench is its etcd
# side through jetcd) against a local 3-member Muster cluster and a local 3-member etcd 3.4 cluster
# (Debian's etcd-server), both on 127.0.0.1, fsync on, 1000 ms election timeout, rounds alternating
# Muster / etcd workload by workload. Prints a markdown table of the medians over the rounds.
#
#   bench/scripts/registry-vs-etcd.sh                  # build, then ROUNDS rounds of every workload
#   SKIP_BUILD=1 ROUNDS=3 WORKLOADS="leader spread" bench/scripts/registry-vs-etcd.sh
#
# Workloads (Muster op / target  vs  etcd op / target):
#   leader     Register with a lease, to the leader        vs LeaseGrant + Put (lease_put) and plain Put, to the leader
#   spread     Register, calls spread over all members     vs Put, spread
#   lin-read   Discover LINEARIZABLE, spread               vs Get (linearizable), spread
#   local-read Discover LOCAL, spread                      vs Get serializable, spread
#   one        one caller: Register to the leader          vs one caller: Put and LeaseGrant + Put to the leader
# Every invocation starts its own cluster, warms up (WARMUP_S; Muster's first warm-up FIRST_WARMUP_S,
# its JVMs being fresh) and measures one run of DURATION_S. With CPU_LOCK set (a file), each round
# holds `flock -o $CPU_LOCK` so builds sharing the machine wait.
#
# Environment (defaults): ROUNDS=3 DURATION_S=15 WARMUP_S=5 FIRST_WARMUP_S=20 CLIENTS=64
#   WORKLOADS="leader spread lin-read local-read one"  SKIP_BUILD=0  ETCD=/usr/bin/etcd
#   NODE_JVM_OPTS (RegisterBench's default)  OUT_DIR=/tmp/registry-vs-etcd.<date>  CPU_LOCK=
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION_S=${DURATION_S:-15}
WARMUP_S=${WARMUP_S:-5}
FIRST_WARMUP_S=${FIRST_WARMUP_S:-20}
CLIENTS=${CLIENTS:-64}
WORKLOADS=${WORKLOADS:-"leader spread lin-read local-read one"}
SKIP_BUILD=${SKIP_BUILD:-0}
ETCD=${ETCD:-/usr/bin/etcd}
CPU_LOCK=${CPU_LOCK:-}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT_DIR=${OUT_DIR:-/tmp/registry-vs-etcd.$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT_DIR"

log() { echo "[$(date +%T)] $*" >&2; }

[[ -x $ETCD ]] || { log "no etcd at $ETCD: apt-get install etcd-server (or ETCD=/path/to/etcd)"; exit 1; }
cd "$REPO"
if [[ $SKIP_BUILD != 1 ]]; then
  log "building bench (mvn -q -DskipTests -pl bench -am package)"
  ${CPU_LOCK:+flock -o "$CPU_LOCK"} mvn -B -q -DskipTests -pl bench -am package
fi
CP="$(cat bench/target/classpath.txt):bench/target/classes"

muster() { # name args...
  local name=$1; shift
  java -cp "$CP" io.muster.bench.RegisterBench --runs 1 --duration-s "$DURATION_S" --warmup-s "$WARMUP_S" \
    --first-warmup-s "$FIRST_WARMUP_S" --work-dir "$OUT_DIR/work-$name" ${NODE_JVM_OPTS:+--node-jvm-opts "$NODE_JVM_OPTS"} "$@" \
    >"$OUT_DIR/$name.txt" 2>&1 || log "  $name failed (see $OUT_DIR/$name.txt)"
}
etcd() { # name args...
  local name=$1; shift
  java -cp "$CP" io.muster.bench.EtcdBench --etcd "$ETCD" --runs 1 --duration-s "$DURATION_S" --warmup-s "$WARMUP_S" \
    --work-dir "$OUT_DIR/work-$name" "$@" >"$OUT_DIR/$name.txt" 2>&1 || log "  $name failed (see $OUT_DIR/$name.txt)"
}

round() { # r
  local r=$1
  for w in $WORKLOADS; do
    log "round $r: $w"
    case $w in
      leader)
        muster "leader-muster-$r" --op register --target leader --clients "$CLIENTS"
        etcd "leader-etcd-lease-put-$r" --op lease_put --target leader --clients "$CLIENTS"
        etcd "leader-etcd-put-$r" --op put --target leader --clients "$CLIENTS" ;;
      spread)
        muster "spread-muster-$r" --op register --target all --clients "$CLIENTS"
        etcd "spread-etcd-put-$r" --op put --target all --clients "$CLIENTS" ;;
      lin-read)
        muster "lin-read-muster-$r" --op discover_linearizable --target all --clients "$CLIENTS"
        etcd "lin-read-etcd-get-$r" --op get --target all --clients "$CLIENTS" ;;
      local-read)
        muster "local-read-muster-$r" --op discover_local --target all --clients "$CLIENTS"
        etcd "local-read-etcd-get-$r" --op get_serializable --target all --clients "$CLIENTS" ;;
      one)
        muster "one-muster-$r" --op register --target leader --clients 1
        etcd "one-etcd-put-$r" --op put --target leader --clients 1
        etcd "one-etcd-lease-put-$r" --op lease_put --target leader --clients 1 ;;
      *) log "unknown workload $w"; exit 2 ;;
    esac
  done
}

for r in $(seq 1 "$ROUNDS"); do
  if [[ -n $CPU_LOCK ]]; then
    ( flock -o 9; round "$r" ) 9>"$CPU_LOCK"
  else
    round "$r"
  fi
done

# the median row of each file: "| calls/s | p50 | p99 | p99.9 | errors | cpu µs/call |" after "## Median"
median_row() { awk '/^## Median/{m=1; next} m && /^\| [0-9]/{print; exit}' "$1"; }
summary() { # prefix -> "rate p50 p99 cpu" medians over rounds
  local prefix=$1
  for f in "$OUT_DIR/$prefix"-[0-9]*.txt; do
    [[ -f $f ]] || continue
    median_row "$f" | awk -F'|' '{gsub(/[ ,]/,"",$2); gsub(/ /,"",$3); gsub(/ /,"",$4); gsub(/ /,"",$7); print $2, $3, $4, $7}'
  done | python3 -c '
import sys, statistics
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
if not rows: print("- - - - 0"); sys.exit()
cols = list(zip(*rows))
print(*(f"{statistics.median(c):.2f}" for c in cols), len(rows), " / ".join(f"{r[0]:,.0f}" for r in rows))
'
}
{
  echo "| workload | Muster calls/s (p50 / p99 ms) | etcd calls/s (p50 / p99 ms) | Muster / etcd | rounds (Muster; etcd) |"
  echo "|---|---:|---:|---:|---|"
  pair() { # label musterPrefix etcdPrefix
    read -r mr mp50 mp99 mcpu mn mrounds <<<"$(summary "$2")" || true
    read -r er ep50 ep99 ecpu en erounds <<<"$(summary "$3")" || true
    local ratio; ratio=$(python3 -c "print(f'{float(\"$mr\")/float(\"$er\"):.2f}')" 2>/dev/null || echo "?")
    printf '| %s | %s (%s / %s) | %s (%s / %s) | %s | %s; %s |\n' "$1" "$mr" "$mp50" "$mp99" "$er" "$ep50" "$ep99" "$ratio" "${mrounds:-}" "${erounds:-}"
  }
  for w in $WORKLOADS; do
    case $w in
      leader) pair "register with a lease, to the leader vs LeaseGrant + Put" leader-muster leader-etcd-lease-put
              pair "register with a lease, to the leader vs plain Put" leader-muster leader-etcd-put ;;
      spread) pair "register spread over all members vs Put spread" spread-muster spread-etcd-put ;;
      lin-read) pair "Discover LINEARIZABLE vs Get, spread" lin-read-muster lin-read-etcd-get ;;
      local-read) pair "Discover LOCAL vs serializable Get, spread" local-read-muster local-read-etcd-get ;;
      one) pair "one caller: Register vs Put (to the leader)" one-muster one-etcd-put
           pair "one caller: Register vs LeaseGrant + Put" one-muster one-etcd-lease-put ;;
    esac
  done
} | tee "$OUT_DIR/results.md"
log "raw output and results.md in $OUT_DIR"
