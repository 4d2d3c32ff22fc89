#!/usr/bin/env bash
# `npm start`: set the machine up, find (or start) a podman API service, and run the daemon on the
# bundled demo apps in the foreground. Ctrl-C stops the daemon; the containers keep running.
#
# Environment:
#   PODLEDGER_PODMAN_SOCKET  use this podman socket (when it answers)
#   PODLEDGER_DATA           the daemon's data dir (default /var/lib/podledger-demo)
#   PODLEDGER_HTTP           where the web UI (and /healthz, /metrics) listens (default 127.0.0.1:8080)
# Extra arguments are passed to `podledger daemon`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=setup.sh
source scripts/setup.sh
podledger_setup

if [ -n "${PODLEDGER_PODMAN_SOCKET:-}" ] && podman_answers "$PODLEDGER_PODMAN_SOCKET"; then
  sock="$PODLEDGER_PODMAN_SOCKET"
elif podman_answers /run/podman/podman.sock; then
  sock=/run/podman/podman.sock
else
  if [ -n "${PODLEDGER_PODMAN_SOCKET:-}" ]; then
    PODLEDGER_LOG_PREFIX=start say "nothing answers on PODLEDGER_PODMAN_SOCKET=$PODLEDGER_PODMAN_SOCKET; using podledger's own service"
  fi
  sock=/run/podledger/podman.sock
  ensure_podman_service "$sock"     # the system store, with podledger's containers.conf
fi
PODLEDGER_LOG_PREFIX=start say "podman API: $sock"
# git keeps no read permissions: close the demo's secrets folder as a node's would be (the daemon
# warns of a secrets folder other users can read)
chmod 700 examples/demo/secrets && chmod 600 examples/demo/secrets/*

http="${PODLEDGER_HTTP:-127.0.0.1:8080}"
case "$http" in *:*) ;; *) http="127.0.0.1:$http" ;; esac   # a port alone binds loopback, as --http does
PODLEDGER_LOG_PREFIX=start say "web UI: http://${http/#0.0.0.0:/127.0.0.1:}/ (open it in a browser once the daemon says it listens)"
exec node bin/podledger.js daemon \
  --http "$http" \
  --apps examples/demo/apps \
  --data "${PODLEDGER_DATA:-/var/lib/podledger-demo}" \
  --podman-socket "$sock" \
  --host-facts examples/demo/host-facts.json \
  --secrets examples/demo/secrets \
  --policy examples/demo/policy.yml \
  "$@"
