#!/usr/bin/env bash
# One-command local Muster: 3 registry nodes (separate JVMs, own data dirs and logs), a gateway and
# three demo services that register themselves with HTTP health checks.
#
#   deploy/local/run.sh          build (if needed) and start everything
#   deploy/local/run.sh stop     stop everything (SIGTERM: graceful)
#   deploy/local/run.sh clean    stop and delete data and logs
#   deploy/local/run.sh status   what is running
#
# Needs only JDK 17 and Maven. Everything listens on 127.0.0.1; state lives in ./run (MUSTER_RUN_DIR),
# the processes run from the distribution tarball unpacked in ./run/dist (MUSTER_REBUILD=1: build it again).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${MUSTER_RUN_DIR:-$ROOT/run}
LOGS=$RUN/logs
PIDS=$RUN/pids
# the distribution (dist/target/muster-VERSION.tar.gz) unpacked: bin/ launchers with the JVM flags of
# docs/operations.md built in, lib/ with every jar once
DIST=$RUN/dist
# the launchers' settings for a laptop: a 256 MB heap (committed and pre-touched at start, as the
# launchers do for members and gateways) and the serial collector, fine at this size on 1-2 cores
export MUSTER_HEAP=${MUSTER_HEAP:-256m} MUSTER_GC=${MUSTER_GC:--XX:+UseSerialGC} MUSTER_TMPDIR=$RUN/tmp
PEERS=n1=127.0.0.1:7001/127.0.0.1:9001/127.0.0.1:7101,n2=127.0.0.1:7002/127.0.0.1:9002/127.0.0.1:7102,n3=127.0.0.1:7003/127.0.0.1:9003/127.0.0.1:7103
TARGETS=127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003

tarball() { ls -t "$ROOT"/dist/target/muster-*.tar.gz 2>/dev/null | head -n 1; }

running() { # true if a process of ours is alive
  for f in "$PIDS"/*.pid; do
    [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
  done
  return 1
}

build() {
  if [[ -z $(tarball) || ${MUSTER_REBUILD:-0} == 1 ]]; then
    echo "building (mvn -DskipTests package) ..."
    (cd "$ROOT" && mvn -q -B -DskipTests package)
  fi
  local tgz; tgz=$(tarball)
  if [[ -f $DIST/.unpacked && ! $tgz -nt $DIST/.unpacked ]]; then
    return 0
  fi
  if running; then
    # a JVM opens the jars of lib/* as it needs them: replacing them under it breaks it later
    echo "  $tgz is newer than $DIST, but processes still run from it: '$0 stop' first to use it" >&2
    return 0
  fi
  echo "unpacking $(basename "$tgz") into $DIST"
  rm -rf "$DIST"
  mkdir -p "$DIST"
  tar -xzf "$tgz" -C "$DIST" --strip-components=1
  touch "$DIST/.unpacked"
}

launch() { # name launcher args...
  local name=$1 launcher=$2; shift 2
  if [[ -f $PIDS/$name.pid ]] && kill -0 "$(cat "$PIDS/$name.pid")" 2>/dev/null; then
    echo "  $name already running (pid $(cat "$PIDS/$name.pid"))"; return
  fi
  # the launchers exec the JVM: $! is the JVM's pid, and stop's SIGTERM reaches it
  nohup "$DIST/bin/$launcher" "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
  echo "  $name pid $! (log $LOGS/$name.log)"
}

muster() { "$DIST/bin/muster" --targets "$TARGETS" "$@"; }

wait_for() { # description command...
  local what=$1; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for $what; see $LOGS" >&2; return 1
}

up() {
  build
  mkdir -p "$LOGS" "$PIDS" "$RUN/tmp"
  echo "starting registry nodes"
  for i in 1 2 3; do
    launch "n$i" muster-server --id "n$i" --raft "127.0.0.1:700$i" --grpc "127.0.0.1:900$i" --peer "127.0.0.1:710$i" \
      --peers "$PEERS" --data-dir "$RUN/data/n$i" --metrics-port "919$i" \
      --http-port "850$i"
  done
  wait_for "a leader" muster leader
  echo "starting gateway"
  launch gateway muster-gateway --config "$ROOT/deploy/local/gateway.yaml"
  echo "starting demo services"
  launch hello-1 muster-demo --service hello --id hello-1 --port 8101 --version v1 --targets "$TARGETS"
  launch hello-2 muster-demo --service hello --id hello-2 --port 8102 --version v1 --targets "$TARGETS"
  launch hello-canary muster-demo --service hello --id hello-canary --port 8103 --version canary --targets "$TARGETS"
  wait_for "the gateway" curl -fsS http://127.0.0.1:8080/hello
  cat <<MSG

Muster is up.
  registry   gRPC 127.0.0.1:9001-9003   raft 127.0.0.1:7001-7003   peer 127.0.0.1:7101-7103   metrics http://127.0.0.1:9191-9193/metrics
             HTTP API http://127.0.0.1:8501-8503/v1/services   (docs/api.md)
  gateway    http://127.0.0.1:8080      admin http://127.0.0.1:8081/pools  http://127.0.0.1:8081/metrics
  services   hello-1 :8101, hello-2 :8102 (v1), hello-canary :8103 (canary, 10% of /hello)
  logs       $LOGS

Try:
  deploy/local/muster list                       # services and health
  deploy/local/muster discover hello
  deploy/local/muster watch hello                # stream changes (Ctrl-C to stop)
  curl http://127.0.0.1:8080/hello               # routed through the gateway
  curl http://127.0.0.1:8501/v1/services/hello   # the registry's HTTP/JSON API
  curl -N 'http://127.0.0.1:8502/v1/watch?service=hello'  # changes as Server-Sent Events
  curl -H 'X-Canary: 1' http://127.0.0.1:8080/hello
  curl -X POST http://127.0.0.1:8102/admin/fail  # hello-2 turns unhealthy, traffic moves away
  kill -9 \$(cat $PIDS/\$(deploy/local/muster leader -o json | sed 's/.*"id":"\([^"]*\)".*/\1/').pid)   # kill the leader; keep curling
  deploy/local/run.sh stop                       # or: clean (also deletes data and logs)
MSG
}

stop() {
  [[ -d $PIDS ]] || return 0
  for f in "$PIDS"/*.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
  done
  for f in "$PIDS"/*.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  echo "stopped"
}

status() {
  for f in "$PIDS"/*.pid; do
    [[ -f $f ]] || continue
    n=$(basename "$f" .pid); pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then echo "  $n running (pid $pid)"; else echo "  $n dead"; fi
  done
}

case "${1:-up}" in
  up|start) up ;;
  stop|down) stop ;;
  clean) stop; rm -rf "$RUN"; echo "cleaned $RUN" ;;
  status) status ;;
  *) echo "usage: $0 [up|stop|clean|status]" >&2; exit 2 ;;
esac
