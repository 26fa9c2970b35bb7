#!/usr/bin/env bash
# HTTP/2 from clients (issue 19): the gateway against nginx (`listen ... http2`), h2c (prior
# knowledge) and h2 over TLS (ALPN), with h2load, same backend, same run, targets alternating.
#
# Topology (127.0.0.1): one backend nginx (1 worker) answering "hello" over HTTP/1.1; in front of it
#   gateway: 1 event loop (-Dio.netty.eventLoopThreads=1), -Xmx512m, a plaintext listener (h2c) and
#            a TLS listener (provider $GW_TLS_PROVIDER), HTTP/1.1 keep-alive upstream pool of 64;
#   nginx:   1 worker, `listen ... http2` (h2c) and `listen ... ssl http2`, upstream keepalive 64.
# Same certificate (EC P-256 from the project's CA) for both. Each pair (gateway, nginx) runs back
# to back in every round; warm-up first.
#
# Run from the repository root after building the gateway and writing its runtime class path:
#   mvn -B -q -o -pl gateway -am package -DskipTests dependency:build-classpath -DincludeScope=runtime \
#     -Dmdep.outputFile=$PWD/gateway/target/classpath.txt
#   RUNS=3 DURATION=10 bench/scripts/gateway-h2-vs-nginx.sh
# Environment: RUNS=3 DURATION=10 (s) WARMUP=5 (s) CLIENTS=64 STREAMS=10 (per connection, h2load -m)
#   GW_TLS_PROVIDER=openssl PORT_BASE=29100 OUT_DIR=/tmp/gateway-h2.<date>
#   KEEPALIVE=64 (idle upstream connections kept: the gateway's upstream.max-idle-per-loop, nginx's keepalive)
#   GW_JAVA_OPTS= (extra JVM options of the gateway, e.g. -XX:+PreserveFramePointer for perf)
# Per run: req/s, CPU of the proxy process (the gateway JVM, the nginx worker) in microseconds per
# completed request and in % of a core (utime + stime from /proc over the h2load run), and the
# gateway's upstream errors and ejections during that run (from its /metrics, by kind): a non-2xx
# column that is not 0 says why. The totals are printed at the end.
set -euo pipefail
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
CLIENTS=${CLIENTS:-64}
STREAMS=${STREAMS:-10}
GW_TLS_PROVIDER=${GW_TLS_PROVIDER:-openssl}
PORT_BASE=${PORT_BASE:-29100}
KEEPALIVE=${KEEPALIVE:-64}
GW_JAVA_OPTS=${GW_JAVA_OPTS:-}
OUT_DIR=${OUT_DIR:-/tmp/gateway-h2.$(date +%Y%m%d-%H%M%S)}
NGINX=${NGINX:-/usr/sbin/nginx}
H2LOAD=${H2LOAD:-/usr/bin/h2load}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT_DIR"
cd "$REPO"
[[ -s gateway/target/classpath.txt ]] || { echo "gateway/target/classpath.txt missing (see the header)" >&2; exit 1; }
CP="$REPO/gateway/target/classes:$(cat gateway/target/classpath.txt)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

java -cp "$CP:$REPO/registry-client/certs/target/classes:$(ls ~/.m2/repository/org/bouncycastle/bcpkix-jdk18on/*/bcpkix-*.jar | head -1):$(ls ~/.m2/repository/org/bouncycastle/bcprov-jdk18on/*/bcprov-*.jar | head -1):$(ls ~/.m2/repository/org/bouncycastle/bcutil-jdk18on/*/bcutil-*.jar | head -1)" \
  "$REPO/bench/scripts/GatewayTlsCert.java" "$OUT_DIR" >/dev/null

BACKEND=$PORT_BASE
GW_H2C=$((PORT_BASE + 1)); GW_H2=$((PORT_BASE + 2)); NG_H2C=$((PORT_BASE + 3)); NG_H2=$((PORT_BASE + 4))
mkdir -p "$OUT_DIR/backend" "$OUT_DIR/nginx"
common_http="access_log off; keepalive_requests 1000000; keepalive_timeout 60s; http2_max_requests 1000000;"
cat >"$OUT_DIR/backend/nginx.conf" <<NGX
worker_processes 1; daemon off; pid $OUT_DIR/backend/nginx.pid; error_log $OUT_DIR/backend/error.log;
events { worker_connections 4096; }
http { $common_http
  server { listen 127.0.0.1:$BACKEND backlog=4096; location / { return 200 "hello\n"; } } }
NGX
cat >"$OUT_DIR/nginx/nginx.conf" <<NGX
worker_processes 1; daemon off; pid $OUT_DIR/nginx/nginx.pid; error_log $OUT_DIR/nginx/error.log;
worker_rlimit_nofile 16384;
events { worker_connections 4096; }
http { $common_http
  client_body_temp_path $OUT_DIR/nginx/cb; proxy_temp_path $OUT_DIR/nginx/px; fastcgi_temp_path $OUT_DIR/nginx/fc;
  uwsgi_temp_path $OUT_DIR/nginx/uw; scgi_temp_path $OUT_DIR/nginx/sc;
  http2_max_concurrent_streams 100;
  upstream backends { server 127.0.0.1:$BACKEND; keepalive $KEEPALIVE; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$NG_H2C http2 backlog=4096;
    listen 127.0.0.1:$NG_H2 ssl http2 backlog=4096;
    ssl_certificate $OUT_DIR/server.pem; ssl_certificate_key $OUT_DIR/server.key;
    location / {
      proxy_pass http://backends; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host \$http_host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme; proxy_set_header X-Forwarded-Host \$http_host;
    }
  }
}
NGX
"$NGINX" -c "$OUT_DIR/backend/nginx.conf" -p "$OUT_DIR/backend" & PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$BACKEND/" >/dev/null && break; sleep 0.1; done
"$NGINX" -c "$OUT_DIR/nginx/nginx.conf" -p "$OUT_DIR/nginx" & PIDS+=($!)
NGINX_MASTER=$!

cat >"$OUT_DIR/gateway.yaml" <<YAML
listeners:
  - {host: 127.0.0.1, port: $GW_H2C}
  - host: 127.0.0.1
    port: $GW_H2
    tls:
      provider: $GW_TLS_PROVIDER
      certificates: [{cert-file: $OUT_DIR/server.pem, key-file: $OUT_DIR/server.key}]
upstream: {max-idle-per-loop: $KEEPALIVE}
admin: {host: 127.0.0.1, port: $((PORT_BASE + 5))}
routes: [{service: web}]
static-instances:
  web: [{host: 127.0.0.1, port: $BACKEND}]
YAML
# shellcheck disable=SC2086
java -Xmx512m -Dio.netty.eventLoopThreads=1 $GW_JAVA_OPTS -cp "$CP" io.muster.gateway.Main --config "$OUT_DIR/gateway.yaml" \
  >"$OUT_DIR/gateway.log" 2>&1 & PIDS+=($!)
GW_PID=$!
for url in "http://127.0.0.1:$GW_H2C/" "https://127.0.0.1:$GW_H2/" "http://127.0.0.1:$NG_H2C/" "https://127.0.0.1:$NG_H2/"; do
  ok=0
  for _ in $(seq 1 100); do
    if [[ $url == https* ]]; then r=$(curl -sk --http2 -o /dev/null -w '%{http_version} %{http_code}' "$url" || true)
    else r=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code}' "$url" || true); fi
    [[ $r == "2 200" ]] && { ok=1; break; }
    sleep 0.2
  done
  ((ok)) || { echo "$url does not answer h2 200 ($r)" >&2; exit 1; }
done

NGINX_WORKER=$(pgrep -P "$NGINX_MASTER" | head -1)
declare -A PID=([gateway]=$GW_PID [nginx]=$NGINX_WORKER)
echo "gateway pid $GW_PID, nginx worker pid $NGINX_WORKER" >"$OUT_DIR/pids.txt"
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of the whole process
upstream_errors() { # -> "kind=n,kind=n ejections=n" (cumulative, from the gateway's /metrics)
  curl -s "http://127.0.0.1:$((PORT_BASE + 5))/metrics" | awk '
    /^muster_gateway_upstream_errors_total/ { match($0, /kind="[^"]*"/); k = substr($0, RSTART + 6, RLENGTH - 7); e[k] += $NF }
    /^muster_gateway_ejections_total/ { j += $NF }
    END { s = ""; for (k in e) s = s (s == "" ? "" : ",") k "=" e[k]; printf "%s ejections=%d\n", (s == "" ? "none" : s), j }'
}
declare -A URL=([gateway-h2c]="http://127.0.0.1:$GW_H2C/" [nginx-h2c]="http://127.0.0.1:$NG_H2C/"
  [gateway-h2]="https://127.0.0.1:$GW_H2/" [nginx-h2]="https://127.0.0.1:$NG_H2/")
run() { # target round seconds -> "req/s failed cpu_us_per_request cpu_pct"
  local out="$OUT_DIR/$1-$2.txt" pid=${PID[${1%%-*}]}
  echo "# $H2LOAD -t2 -c$CLIENTS -m$STREAMS -D$3 ${URL[$1]}   (load1 $(cut -d' ' -f1 /proc/loadavg))" >"$out"
  local t0 t1 c0 c1
  c0=$(cpu_ticks "$pid"); t0=$(date +%s%N)
  "$H2LOAD" -t2 -c"$CLIENTS" -m"$STREAMS" -D"$3" "${URL[$1]}" >>"$out" 2>&1
  c1=$(cpu_ticks "$pid"); t1=$(date +%s%N)
  local rps failed non2xx done_
  rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$out")
  failed=$(awk '/^requests:/ {print $10 + $12}' "$out")     # failed + errored
  non2xx=$(awk '/^status codes:/ {print $7 + $9}' "$out")  # 4xx + 5xx
  done_=$(awk '/^requests:/ {print $6}' "$out")
  # the window includes h2load's connection setup (under 0.1 s of a 10 s run)
  echo "$rps $((failed + non2xx)) $(awk -v c=$((c1 - c0)) -v t="$TICK" -v n="$done_" -v ns=$((t1 - t0)) \
    'BEGIN {printf "%.1f %.0f", (n > 0 ? c / t * 1e6 / n : 0), c / t * 1e9 / ns * 100}')"
}
{
  echo "date: $(date -Is)  nproc: $(nproc)  nginx: $("$NGINX" -v 2>&1 | cut -d/ -f2)  $("$H2LOAD" --version | head -1)  java: $(java -version 2>&1 | head -1)"
  echo "h2load -t2 -c$CLIENTS -m$STREAMS -D$DURATION, warm-up ${WARMUP}s per target, gateway TLS provider: $GW_TLS_PROVIDER, upstream keep-alive $KEEPALIVE"
  echo
  echo "| round | load | gateway req/s | nginx req/s | gateway / nginx | failed or non-2xx (gw / nginx) | CPU µs per request (gw / nginx) | CPU % of a core (gw / nginx) | gateway upstream errors during the run |"
  echo "|---|---|---:|---:|---:|---|---|---|---|"
} | tee "$OUT_DIR/results.md"
for t in gateway-h2c nginx-h2c gateway-h2 nginx-h2; do run "$t" warmup "$WARMUP" >/dev/null; done
WARM_ERRORS=$(upstream_errors)
for r in $(seq 1 "$RUNS"); do
  for load in h2c h2; do
    e0=$(upstream_errors)
    read -r g gf gu gp < <(run "gateway-$load" "$r" "$DURATION")
    e1=$(upstream_errors)
    read -r n nf nu np < <(run "nginx-$load" "$r" "$DURATION")
    echo "| $r | $load | $g | $n | $(awk -v a="$g" -v b="$n" 'BEGIN {printf "%.2f", a / b}') | $gf / $nf | $gu / $nu | $gp / $np | $([[ $e0 == "$e1" ]] && echo none || echo "$e1 (was $e0)") |" | tee -a "$OUT_DIR/results.md"
  done
done
{
  echo
  echo "gateway upstream errors and ejections after the warm-ups: $WARM_ERRORS"
  echo "gateway upstream errors and ejections (/metrics):"
  curl -s "http://127.0.0.1:$((PORT_BASE + 5))/metrics" | grep -E '^muster_gateway_(upstream_errors|ejections)_total' || echo "(none)"
  echo "sockets: $(ss -s | grep -i '^TCP:')"
} | tee -a "$OUT_DIR/results.md"
echo "raw h2load outputs: $OUT_DIR"
