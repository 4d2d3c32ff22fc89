#!/bin/sh
# Demo stand-in for bitcoind: a "chain tip" that grows every 10 s, served over HTTP on 18443.
# busybox httpd -v logs one line per request.
trap 'exit 0' TERM INT
mkdir -p /www
echo "bitcoind: serving the chain tip on :18443"
( height=100
  while :; do
    echo "{\"chain\":\"regtest\",\"blocks\":$height}" >/www/tip && mv /www/tip /www/index.html
    height=$((height + 1))
    sleep 10
  done ) &
httpd -f -v -p 18443 -h /www &
wait
