#!/usr/bin/env bash
# TLS termination on the gateway: the JDK provider against OpenSSL (netty-tcnative BoringSSL), same
# run, targets alternating. Two loads per target:
#   keep-alive: wrk over HTTPS, connections reused (cost of record encryption per request)
#   handshake:  wrk over HTTPS with "Connection: close" (one full TLS handshake per request)
# and, when h2load is installed, h2 over TLS (ALPN).
# The backend is one nginx worker answering "hello"; the gateway runs with 1 event loop.
#
# Run from the repository root after building the gateway and writing its runtime class path:
#   mvn -B -q -o -pl gateway -am package -DskipTests dependency:build-classpath -DincludeScope=runtime \
#     -Dmdep.outputFile=$PWD/gateway/target/classpath.txt
#   RUNS=3 DURATION=10s bench/scripts/gateway-tls-providers.sh
# Environment: RUNS=3 DURATION=10s CONNS=64 PORT_BASE=29000 OUT_DIR=/tmp/gateway-tls.<date>
set -euo pipefail
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PORT_BASE=${PORT_BASE:-29000}
OUT_DIR=${OUT_DIR:-/tmp/gateway-tls.$(date +%Y%m%d-%H%M%S)}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT_DIR"
cd "$REPO"
[[ -s gateway/target/classpath.txt ]] || { echo "gateway/target/classpath.txt missing (see the header)" >&2; exit 1; }
CP="$REPO/gateway/target/classes:$(cat gateway/target/classpath.txt)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# certificate and key (PEM, EC P-256) from the project's CA
java -cp "$CP:$REPO/registry-client/certs/target/classes:$(ls ~/.m2/repository/org/bouncycastle/bcpkix-jdk18on/*/bcpkix-*.jar | head -1):$(ls ~/.m2/repository/org/bouncycastle/bcprov-jdk18on/*/bcprov-*.jar | head -1):$(ls ~/.m2/repository/org/bouncycastle/bcutil-jdk18on/*/bcutil-*.jar | head -1)" \
  "$REPO/bench/scripts/GatewayTlsCert.java" "$OUT_DIR" >/dev/null

BACKEND=$PORT_BASE
cat >"$OUT_DIR/nginx.conf" <<NGX
worker_processes 1; daemon off; pid $OUT_DIR/nginx.pid; error_log $OUT_DIR/nginx-error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BACKEND backlog=4096; location / { return 200 "hello\n"; } } }
NGX
nginx -c "$OUT_DIR/nginx.conf" -p "$OUT_DIR" & PIDS+=($!)
# the backend must answer before a gateway sends it anything: refused connections at start would
# eject it (outlier detection) and the first runs would measure 503s
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$BACKEND/" >/dev/null && break; sleep 0.1; done

declare -A PORT
i=1
for provider in jdk openssl; do
  port=$((PORT_BASE + i)); PORT[$provider]=$port; i=$((i + 1))
  cat >"$OUT_DIR/gateway-$provider.yaml" <<YAML
listeners:
  - host: 127.0.0.1
    port: $port
    tls:
      provider: $provider
      certificates: [{cert-file: $OUT_DIR/server.pem, key-file: $OUT_DIR/server.key}]
routes: [{service: web}]
static-instances:
  web: [{host: 127.0.0.1, port: $BACKEND}]
YAML
  java -Xmx512m -Dio.netty.eventLoopThreads=1 -cp "$CP" io.muster.gateway.Main --config "$OUT_DIR/gateway-$provider.yaml" \
    >"$OUT_DIR/gateway-$provider.log" 2>&1 & PIDS+=($!)
done
for provider in jdk openssl; do
  for _ in $(seq 1 100); do curl -skf "https://127.0.0.1:${PORT[$provider]}/" >/dev/null && break; sleep 0.2; done
done

run() { # provider load round
  local url="https://127.0.0.1:${PORT[$1]}/" out="$OUT_DIR/$1-$2-$3.txt"
  case $2 in
    keepalive) wrk -t2 -c"$CONNS" -d"$DURATION" "$url" >"$out" ;;
    handshake) wrk -t2 -c"$CONNS" -d"$DURATION" -H "Connection: close" "$url" >"$out" ;;
    h2) h2load -t2 -c"$CONNS" -m10 -D"${DURATION%s}" "$url" >"$out" ;;
  esac
  # a figure that counts error answers is no figure: mark it in the table (the cause of the invalid
  # JDK keep-alive row of 2026-12-07 was 503s while the backend was not yet up)
  local bad
  if [[ $2 == h2 ]]; then
    bad=$(awk '/^status codes:/ {print $7 + $9} /^requests:/ {f = $10 + $12} END {print f + 0}' "$out" | paste -sd+ | bc)
    awk -v bad="$bad" '/^finished in/ {gsub(",", "", $4); printf "%s%s\n", $4, (bad > 0 ? " (" bad " failed/non-2xx)" : "")}' "$out"
  else
    bad=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
    awk -v bad="$bad" '/^Requests\/sec/ {printf "%s%s\n", $2, (bad > 0 ? " (" bad " errors/non-2xx)" : "")}' "$out"
  fi
}
LOADS="keepalive handshake"
command -v h2load >/dev/null && LOADS+=" h2"
echo "| round | load | jdk req/s | openssl req/s |" | tee "$OUT_DIR/results.md"
echo "|---|---|---:|---:|" | tee -a "$OUT_DIR/results.md"
for provider in jdk openssl; do for load in $LOADS; do run "$provider" "$load" warmup >/dev/null; done; done
for r in $(seq 1 "$RUNS"); do
  for load in $LOADS; do
    j=$(run jdk "$load" "$r"); o=$(run openssl "$load" "$r")
    echo "| $r | $load | $j | $o |" | tee -a "$OUT_DIR/results.md"
  done
done
