#!/usr/bin/env bash
# `npm start`: set the machine up, find (or start) a podman API service, and run the daemon on the
# bundled demo apps in the foreground. Ctrl-C stops the daemon; the containers keep running.
#
# Environment:
#   PODLEDGER_PODMAN_SOCKET  use this podman socket (when it answers)
#   PODLEDGER_DATA           the daemon's data dir (default /var/lib/podledger-demo)
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

exec node bin/podledger.js daemon \
  --apps examples/demo/apps \
  --data "${PODLEDGER_DATA:-/var/lib/podledger-demo}" \
  --podman-socket "$sock" \
  --host-facts examples/demo/host-facts.json \
  --secrets examples/demo/secrets \
  --policy examples/demo/policy.yml \
  "$@"
