#!/bin/sh
# Installs Debian's redis-server for the queue tests (apps/bench/test/queue.test.ts start their own server on a
# free loopback port; they skip, saying so, where it is absent). The Debian package's own service is left
# alone. Idempotent: does nothing when redis-server is already on PATH. Needs root (or sudo) and apt.
set -eu
if command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: $(command -v redis-server) present ($(redis-server --version 2>/dev/null | head -n 1))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-redis: not root and no sudo; install the 'redis-server' package yourself" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends redis-server
redis-server --version
