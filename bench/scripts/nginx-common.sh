# Shared by gateway-vs-nginx.sh and gateway-profile.sh: the parts of an nginx.conf every instance
# (backends, proxies) has in common. Source it; both take the instance's directory (its prefix).
# shellcheck shell=bash

nginx_common() { # prefix
  cat <<EOF
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile 16384;
EOF
}
nginx_http_common() { # prefix
  cat <<EOF
  access_log off;
  client_body_temp_path $1/client_body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
  default_type text/plain;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
EOF
}
