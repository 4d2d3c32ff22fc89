#!/bin/sh
# Demo web UI: serves /www, a bind mount holding index.html that podledger renders from
# index.html.tmpl with the host's facts. Logs one line per request.
trap 'exit 0' TERM INT
echo "bitcoin-ui: serving /www on :8080"
httpd -f -v -p 8080 -h /www &
wait
