#!/usr/bin/env bash
# For `make test`: makes sure PostgreSQL (127.0.0.1:5432), Redis (127.0.0.1:6379), Debian's
# Chromium and nginx are there, installing them with apt-get and starting them when they are not.
set -uo pipefail

apt_install() {
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "==> apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  else
    echo "!! $* missing and cannot be installed here (need root and apt-get)" >&2
  fi
}

[ -x /usr/bin/chromium ] || apt_install chromium
# nginx: the rolling-restart test runs two app servers behind it (deploy/).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || apt_install nginx

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi

if ! (redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG); then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && break; sleep 0.5; done
fi

pg_isready -h 127.0.0.1 -p 5432 || echo "!! PostgreSQL is not reachable on 127.0.0.1:5432" >&2
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || echo "!! Redis is not reachable on 127.0.0.1:6379" >&2
exit 0
