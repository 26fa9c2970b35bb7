#!/bin/bash
# Run from the repository root after building the gateway and its class path (see gateway-h2-vs-nginx.sh);
# hold the CPU lock: flock -o /tmp/muster-cpu.lock bench/scripts/gateway-h2-hostile.sh
# hostile h2c probes against nginx 1.22 and the gateway, same limits (5 streams), same backends
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
D=${OUT_DIR:-/tmp/gateway-h2-hostile.$(date +%Y%m%d-%H%M%S)}; rm -rf $D; mkdir -p $D/backend $D/nginx
A=29301; B=29302; C=29303; G=29304
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done' EXIT
python3 -c "
import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$B)); s.listen(1024)
time.sleep(600)" & PIDS+=($!)
cat > $D/backend/nginx.conf <<NGX
worker_processes 1; daemon off; pid $D/backend/nginx.pid; error_log $D/backend/error.log;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$A; location / { return 200 "hello\n"; } } }
NGX
cat > $D/nginx/nginx.conf <<NGX
worker_processes 1; daemon off; pid $D/nginx/nginx.pid; error_log $D/nginx/error.log info;
events { worker_connections 4096; }
http { access_log off;
  client_body_temp_path $D/nginx/cb; proxy_temp_path $D/nginx/px; fastcgi_temp_path $D/nginx/fc; uwsgi_temp_path $D/nginx/uw; scgi_temp_path $D/nginx/sc;
  http2_max_concurrent_streams 5;
  server { listen 127.0.0.1:$C http2;
    location /slow { proxy_pass http://127.0.0.1:$B; proxy_read_timeout 60s; }
    location / { proxy_pass http://127.0.0.1:$A; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
NGX
/usr/sbin/nginx -c $D/backend/nginx.conf -p $D/backend & PIDS+=($!)
/usr/sbin/nginx -c $D/nginx/nginx.conf -p $D/nginx & PIDS+=($!)
cat > $D/gateway.yaml <<YAML
listeners: [{host: 127.0.0.1, port: $G, max-concurrent-streams: 5}]
outlier: {consecutive-failures: 0}
routes:
  - {prefix: /slow, service: slow, request-timeout-ms: 60000}
  - {service: web}
static-instances:
  web: [{host: 127.0.0.1, port: $A}]
  slow: [{host: 127.0.0.1, port: $B}]
YAML
cd "$REPO"
java -Xmx512m -Dio.netty.eventLoopThreads=1 -cp "gateway/target/classes:$(cat gateway/target/classpath.txt)" io.muster.gateway.Main --config $D/gateway.yaml > $D/gateway.log 2>&1 & PIDS+=($!)
for u in http://127.0.0.1:$C/ http://127.0.0.1:$G/; do
  for _ in $(seq 1 100); do curl -s --http2-prior-knowledge -o /dev/null $u && break; sleep 0.2; done
done
echo "== nginx $(/usr/sbin/nginx -v 2>&1 | cut -d/ -f2), 1 worker, http2_max_concurrent_streams 5"
timeout 120 python3 "$REPO/bench/scripts/h2-hostile-probe.py" $C 5 /slow
echo "   nginx still serves others: $(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' http://127.0.0.1:$C/)"
echo "== gateway (this branch), 1 event loop, max-concurrent-streams 5, other limits default"
timeout 120 python3 "$REPO/bench/scripts/h2-hostile-probe.py" $G 5 /slow
echo "   gateway still serves others: $(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' http://127.0.0.1:$G/)"
curl -s http://127.0.0.1:$G/ >/dev/null
grep -c "outstanding control frames\|RST frames" $D/gateway.log | sed 's/^/   gateway log lines about limits: /'
grep -i "flood\|too many" $D/nginx/error.log | head -5 | sed 's/^/   nginx error.log: /'
