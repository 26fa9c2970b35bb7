#!/usr/bin/env bash
# One-command local Muster: 3 registry nodes (separate JVMs, own data dirs and logs), a gateway and
# three demo services that register themselves with HTTP health checks.
#
#   deploy/local/run.sh          build (if needed) and start everything
#   deploy/local/run.sh stop     stop everything (SIGTERM: graceful)
#   deploy/local/run.sh clean    stop and delete data and logs
#   deploy/local/run.sh status   what is running
#
# Secure by default: on first start a local CA, member and client certificates are created under
# ./run/tls (bin/muster cert ...); members talk mutual TLS to each other (peer and Raft ports), serve
# TLS on their gRPC ports and require a client certificate, and the gateway, the demo services and
# deploy/local/muster present theirs. ACLs are on: the first leader writes the bootstrap (operator)
# token to ./run/acl/bootstrap-token, which deploy/local/muster uses; the gateway gets a read token
# and the demo services a token that may write only their service (./run/acl).
# MUSTER_INSECURE=1 deploy/local/run.sh (or: run.sh --insecure) starts everything in plain text
# instead (docs/security.md); the choice is kept in ./run/mode until 'clean'.
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
TLS=$RUN/tls
ACL=$RUN/acl
# the CLI's client certificate, for this script and deploy/local/muster (empty in plain text)
CLI_TLS=()

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

# and its token (the bootstrap token; empty in plain text)
CLI_TOKEN=()

muster() { "$DIST/bin/muster" --targets "$TARGETS" ${CLI_TLS[@]+"${CLI_TLS[@]}"} ${CLI_TOKEN[@]+"${CLI_TOKEN[@]}"} "$@"; }

tokens() { # a read token for the gateway and a write-hello token for the demo services, created once
  mkdir -p "$ACL"; chmod 700 "$ACL"
  if [[ ! -s $ACL/gateway-token ]]; then
    # a policy left by an interrupted earlier start is fine: create says it exists
    muster acl policy create gateway-read --rule 'read:*' >/dev/null 2>&1 || true
    (umask 077; muster acl token create --policy gateway-read --description "local gateway" | tail -n 1 >"$ACL/gateway-token.tmp")
    mv "$ACL/gateway-token.tmp" "$ACL/gateway-token"
  fi
  if [[ ! -s $ACL/hello-token ]]; then
    muster acl policy create hello-write --rule 'write:hello' >/dev/null 2>&1 || true
    (umask 077; muster acl token create --policy hello-write --description "local demo services" | tail -n 1 >"$ACL/hello-token.tmp")
    mv "$ACL/hello-token.tmp" "$ACL/hello-token"
  fi
  echo "  tokens in $ACL (bootstrap-token: operator; gateway-token: read:*; hello-token: write:hello)"
}

mode() { # tls (default) or insecure: the first start decides, MUSTER_INSECURE=1 / --insecure asks for plain text
  if [[ ${MUSTER_INSECURE:-0} == 1 ]]; then echo insecure
  elif [[ -f $RUN/mode ]]; then cat "$RUN/mode"
  else echo tls
  fi
}

certificates() { # the local CA and every certificate the processes present, created once
  local cert=("$DIST/bin/muster" cert)
  [[ -f $TLS/ca.pem ]] || "${cert[@]}" create-ca --dir "$TLS" --name "Muster local CA" >/dev/null
  for i in 1 2 3; do
    [[ -f $TLS/member-n$i.pem ]] || "${cert[@]}" create-member --dir "$TLS" --id "n$i" --host localhost --ip 127.0.0.1 >/dev/null
  done
  for c in gateway demo cli; do
    [[ -f $TLS/client-$c.pem ]] || "${cert[@]}" create-client --dir "$TLS" --name "$c" >/dev/null
  done
  echo "  certificates in $TLS (CA ca.pem, members member-n*.pem, clients client-*.pem)"
}

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
  local mode member_tls=() demo_tls=() demo_token=() gateway_config=$ROOT/deploy/local/gateway.yaml security
  mode=$(mode)
  if [[ $mode == tls ]]; then
    certificates
    CLI_TLS=(--ca "$TLS/ca.pem" --cert "$TLS/client-cli.pem" --key "$TLS/client-cli-key.pem")
    demo_tls=(--ca "$TLS/ca.pem" --cert "$TLS/client-demo.pem" --key "$TLS/client-demo-key.pem")
    # the gateway's file with its registry connection's TLS added under registry:
    gateway_config=$RUN/gateway.yaml
    sed "s|^registry:.*|&\n  ca: $TLS/ca.pem\n  cert: $TLS/client-gateway.pem\n  key: $TLS/client-gateway-key.pem\n  token-file: $ACL/gateway-token|" \
      "$ROOT/deploy/local/gateway.yaml" >"$gateway_config"
    demo_token=(--token-file "$ACL/hello-token")
    security="mutual TLS between members; TLS on the gRPC ports, client certificates required (CA $TLS/ca.pem); ACLs on. MUSTER_INSECURE=1 for plain text"
  else
    security="plain text (MUSTER_INSECURE=1 / --insecure); '$0 clean' and start again for TLS"
  fi
  echo "$mode" >"$RUN/mode"
  echo "starting registry nodes ($mode)"
  for i in 1 2 3; do
    [[ $mode == tls ]] && member_tls=(--tls-cert "$TLS/member-n$i.pem" --tls-key "$TLS/member-n$i-key.pem" \
      --tls-client-ca "$TLS/ca.pem" --tls-client-auth require --http-tls-client-auth none \
      --peer-tls-cert "$TLS/member-n$i.pem" --peer-tls-key "$TLS/member-n$i-key.pem" --peer-tls-ca "$TLS/ca.pem" \
      --acl-enabled --acl-bootstrap-token-file "$ACL/bootstrap-token")
    launch "n$i" muster-server --id "n$i" --raft "127.0.0.1:700$i" --grpc "127.0.0.1:900$i" --peer "127.0.0.1:710$i" \
      --peers "$PEERS" --data-dir "$RUN/data/n$i" --metrics-port "919$i" --http-port "850$i" ${member_tls[@]+"${member_tls[@]}"}
  done

  if [[ $mode == tls ]]; then
    mkdir -p "$ACL"; chmod 700 "$ACL"
    # the first leader writes it once its hash is applied: a leader exists, and so does a token
    wait_for "the bootstrap token in $ACL" test -s "$ACL/bootstrap-token"
    CLI_TOKEN=(--token-file "$ACL/bootstrap-token")
  fi
  wait_for "a leader" muster leader
  [[ $mode == tls ]] && tokens
  echo "starting gateway"
  launch gateway muster-gateway --config "$gateway_config"
  echo "starting demo services"
  launch hello-1 muster-demo --service hello --id hello-1 --port 8101 --version v1 --targets "$TARGETS" ${demo_tls[@]+"${demo_tls[@]}"} ${demo_token[@]+"${demo_token[@]}"}
  launch hello-2 muster-demo --service hello --id hello-2 --port 8102 --version v1 --targets "$TARGETS" ${demo_tls[@]+"${demo_tls[@]}"} ${demo_token[@]+"${demo_token[@]}"}
  launch hello-canary muster-demo --service hello --id hello-canary --port 8103 --version canary --targets "$TARGETS" ${demo_tls[@]+"${demo_tls[@]}"} ${demo_token[@]+"${demo_token[@]}"}
  wait_for "the gateway" curl -fsS http://127.0.0.1:8080/hello
  local acl_line=
  [[ $mode == tls ]] && acl_line="operator (bootstrap) token in $ACL/bootstrap-token, used by deploy/local/muster; keep it secret"
  # the HTTP API takes the same tokens; printed as a command, never with the token itself
  local curl_auth= scheme=http metrics_note="plain HTTP" http_note="plain HTTP"
  local console_note="no token needed (plain HTTP: keep it on loopback)"
  if [[ $mode == tls ]]; then
    # the HTTP API and the metrics port serve the members' certificate; the HTTP API (so the
    # console) asks for no client certificate (--http-tls-client-auth none): a browser trusts the CA
    # and acts with a token, which every protected call still needs
    curl_auth="--cacert $TLS/ca.pem -H \"Authorization: Bearer \$(cat $ACL/bootstrap-token)\" "
    scheme=https
    metrics_note="HTTPS: curl --cacert $TLS/ca.pem"
    http_note="HTTPS, trust $TLS/ca.pem, token as Authorization: Bearer; no client certificate"
    console_note="see 'The console in a browser' below"
  fi

  cat <<MSG

Muster is up.
  security   $security${acl_line:+
  token      $acl_line}
  registry   gRPC 127.0.0.1:9001-9003   raft 127.0.0.1:7001-7003   peer 127.0.0.1:7101-7103   metrics $scheme://127.0.0.1:9191-9193/metrics ($metrics_note)
             HTTP API $scheme://127.0.0.1:8501-8503/v1/services ($http_note; docs/api.md)
             console  $scheme://127.0.0.1:8501/ui/ (any member, 8501-8503; $console_note; docs/console.md)
  gateway    http://127.0.0.1:8080      admin http://127.0.0.1:8081/pools  http://127.0.0.1:8081/ui/  http://127.0.0.1:8081/metrics
  services   hello-1 :8101, hello-2 :8102 (v1), hello-canary :8103 (canary, 10% of /hello)
  logs       $LOGS

Try:
  deploy/local/muster list                       # services and health (the wrapper passes the CLI's certificate)
  deploy/local/muster discover hello
  deploy/local/muster watch hello                # stream changes (Ctrl-C to stop)
  curl http://127.0.0.1:8080/hello               # routed through the gateway
  curl ${curl_auth}$scheme://127.0.0.1:8501/v1/services/hello   # the registry's HTTP/JSON API
  curl -N ${curl_auth}'$scheme://127.0.0.1:8502/v1/watch?service=hello'  # changes as Server-Sent Events
  curl -H 'X-Canary: 1' http://127.0.0.1:8080/hello
  curl -X POST http://127.0.0.1:8102/admin/fail  # hello-2 turns unhealthy, traffic moves away
  kill -9 \$(cat $PIDS/\$(deploy/local/muster leader -o json | sed 's/.*"id":"\([^"]*\)".*/\1/').pid)   # kill the leader; keep curling
  deploy/local/run.sh stop                       # or: clean (also deletes data, logs and certificates)
MSG
  if [[ $mode == tls ]]; then
    cat <<MSG

The console in a browser (HTTPS, no client certificate needed; the token decides what it may do):
  1. trust the cluster CA $TLS/ca.pem in the browser (Firefox: Settings > Certificates > Authorities > Import;
     Chromium: chrome://settings/certificates > Authorities > Import)
  2. open https://127.0.0.1:8501/ui/ (or :8502, :8503)
  3. paste the operator token into the token box at the top right: cat $ACL/bootstrap-token
     (or a narrower one: deploy/local/muster acl token create --policy NAME)

Your own clients (TLS, client certificate and a token required):
  muster --ca $TLS/ca.pem --cert $TLS/client-cli.pem --key $TLS/client-cli-key.pem --token-file $ACL/bootstrap-token members
  RegistryClient.builder("127.0.0.1:9001").tls(Path.of("$TLS/ca.pem"))
      .clientCertificate(Path.of("$TLS/client-cli.pem"), Path.of("$TLS/client-cli-key.pem"))
      .tokenFile(Path.of("$ACL/bootstrap-token")).build()
  a narrower token: deploy/local/muster acl policy create NAME --rule write:PREFIX
                    deploy/local/muster acl token create --policy NAME
  more certificates: $DIST/bin/muster cert create-client --dir $TLS --name NAME
MSG
  fi
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
  --insecure) MUSTER_INSECURE=1 up ;;
  up|start) up ;;
  stop|down) stop ;;
  clean) stop; rm -rf "$RUN"; echo "cleaned $RUN" ;;
  status) status ;;
  *) echo "usage: $0 [up|--insecure|stop|clean|status]" >&2; exit 2 ;;
esac
