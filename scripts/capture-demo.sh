#!/usr/bin/env bash
# Re-captures replay/demo-host-ip-change.ndjson: the demo apps on a fresh data dir, a HOST_IP change,
# a killed container, a broken and fixed manifest. Needs a podman API socket (first argument) whose
# store has no demo containers yet; run it after a change that diverges the capture on purpose.
set -euo pipefail
sock=${1:?usage: scripts/capture-demo.sh PODMAN_SOCKET [PODMAN_GLOBAL_FLAGS...]}
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/podledger-capture-XXXXXX)
trap 'pkill -TERM -f "daemon --apps apps --data data" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -a "$repo/examples/demo/apps" "$repo/examples/demo/secrets" "$repo/examples/demo/policy.yml" "$work/"
cd "$work"
podman "$@" rm -f -t 0 bitcoind electrs bitcoin-ui fedimint >/dev/null 2>&1 || true
echo '{"HOST_IP":"10.0.0.5","HOST_MDNS":"umbrel.local"}' > facts.json
node "$repo/bin/podledger.js" daemon --apps apps --data data --podman-socket "$sock" \
  --host-facts facts.json --secrets secrets --policy policy.yml > daemon.log 2>&1 &
wait_for() { for _ in $(seq 100); do node "$repo/bin/podledger.js" events --data data | grep -q "$1" && return; sleep 0.2; done; echo "timed out waiting for $1" >&2; cat daemon.log >&2; exit 1; }
wait_for 'ActionSucceeded fedimint create'
echo '{"HOST_IP":"10.0.0.9","HOST_MDNS":"umbrel.local"}' > facts.json
wait_for 'ActionSucceeded fedimint recreate'
sleep 1
podman "$@" kill electrs >/dev/null
wait_for 'ActionSucceeded electrs start'
cp apps/electrs/manifest.yml manifest.good
sed -i 's/^container:/container:\n  imgae: oops/' apps/electrs/manifest.yml
wait_for 'ManifestRejected electrs'
cp manifest.good apps/electrs/manifest.yml
wait_for 'ManifestObserved electrs.*hash' 
sleep 1
pkill -TERM -f "daemon --apps apps --data data"
sleep 2
node "$repo/bin/podledger.js" export --data data --out "$repo/replay/demo-host-ip-change.ndjson"
podman "$@" rm -f -t 0 bitcoind electrs bitcoin-ui fedimint >/dev/null
