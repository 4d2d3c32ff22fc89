#!/bin/sh
# Demo stand-in for fedimintd: prints the URLs podledger derived from host facts (never the
# secret, only whether it is set) and serves them on 8174.
trap 'exit 0' TERM INT
echo "fedimint: FM_API_URL=$FM_API_URL"
echo "fedimint: FM_P2P_URL=$FM_P2P_URL"
if [ -n "$FM_BITCOIND_PASSWORD" ]; then echo "fedimint: bitcoind password is set"; else echo "fedimint: bitcoind password is MISSING"; fi
mkdir -p /www
printf 'api %s\np2p %s\nbitcoind %s\n' "$FM_API_URL" "$FM_P2P_URL" "$FM_BITCOIND_URL" >/www/index.html
httpd -f -p 8174 -h /www &
wait
