#!/bin/sh
# Demo stand-in for electrs: polls bitcoind by its container name on the bridge network, prints
# each new tip, and serves the last one on 50001. (Not `wget -T`: it segfaults in busybox 1.35.)
trap 'exit 0' TERM INT
mkdir -p /www
echo "electrs: following http://bitcoind:18443/"
( last=""
  while :; do
    if tip="$(timeout 5 wget -qO- http://bitcoind:18443/ 2>&1)"; then
      [ "$tip" != "$last" ] && echo "electrs: bitcoind tip $tip" && echo "$tip" >/www/index.html
      last="$tip"
    else
      echo "electrs: bitcoind not reachable: $tip"
    fi
    sleep 5
  done ) &
httpd -f -p 50001 -h /www &
wait
