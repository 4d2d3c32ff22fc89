#!/usr/bin/env bash
# Prepare this machine for podledger: system packages, npm dependencies, the build.
#
#   bash scripts/setup.sh          run every step (each one only when needed)
#   source scripts/setup.sh        define the functions below without running anything
#
# Quiet and idempotent: it prints one line per step it actually does, nothing when all is in place.
# Functions for other scripts: podledger_setup, ensure_podman_service, podman_answers,
# write_containers_conf.

PODLEDGER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages, and a command or file that shows each is usable.
#   podman, runc: the engine and the runtime (crun fails on this kernel's hybrid cgroups).
#   busybox-static: /bin/busybox, statically linked, copied into the demo and test images.
#   iptables: netavark needs it to set up bridge networks and published ports.
#   aardvark-dns: container names resolve on bridge networks (only recommended by netavark).
#   curl: asks a podman socket for /_ping.
#   podman-compose: the second baseline of `npm run bench`'s tiered-catalog figure (docs/benchmarks.md).
#   systemd: systemd-notify (the daemon's notifications under a Type=notify unit) and systemd-analyze
#     (the unit file's check); no systemd needs to run.
#   python3: the tests' stand-in for systemd's notify socket (a datagram socket reading the sender's pid).
#   chromium: the headless browser the web UI's tests and `npm run bench`'s first-paint figure drive
#     (through playwright-core, an npm devDependency that brings no browser of its own).
PODLEDGER_APT_PACKAGES=(podman runc busybox-static iptables aardvark-dns curl podman-compose systemd python3 chromium)

say() { printf '%s: %s\n' "${PODLEDGER_LOG_PREFIX:-setup}" "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; return 1; }

_pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

ensure_apt_packages() {
  local missing=() p
  for p in "${PODLEDGER_APT_PACKAGES[@]}"; do
    _pkg_installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"
    return 1
  fi
  say "installing ${missing[*]} (apt-get)"
  local log
  log="$(mktemp /tmp/podledger-apt.XXXXXX.log)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "apt-get install ${missing[*]} failed (full log: $log)"
    return 1
  fi
  rm -f "$log"
}

# npm ci when node_modules is missing or older than package-lock.json (npm writes
# node_modules/.package-lock.json on every install, so that is the stamp).
ensure_node_modules() {
  local stamp="$PODLEDGER_ROOT/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ ! "$PODLEDGER_ROOT/package-lock.json" -nt "$stamp" ]; then
    return 0
  fi
  say "installing npm dependencies (npm ci)"
  (cd "$PODLEDGER_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
    { die "npm ci failed"; return 1; }
}

# npm run build (tsc to dist/) when any source or compiler setting is newer than the last build.
ensure_build() {
  local stamp="$PODLEDGER_ROOT/dist/.build-stamp"
  if [ -f "$stamp" ] && [ -z "$(cd "$PODLEDGER_ROOT" && find src tsconfig.json tsconfig.build.json package.json package-lock.json \
        -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  say "building (npm run build)"
  local out
  if ! out="$(cd "$PODLEDGER_ROOT" && npm run build --silent 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "npm run build failed"
    return 1
  fi
  touch "$stamp"
}

podledger_setup() {
  ensure_apt_packages && ensure_node_modules && ensure_build
}

# Does something answer GET /_ping on this unix socket? (curl, or node where curl is missing)
podman_answers() {
  [ -S "$1" ] || return 1
  local body
  if command -v curl >/dev/null 2>&1; then
    body="$(curl -s --max-time 3 --unix-socket "$1" http://podman/_ping 2>/dev/null)" || return 1
  else
    body="$(node -e '
      const req = require("node:http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 3000 },
        (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => process.stdout.write(b)); });
      req.on("error", () => process.exit(1)); req.on("timeout", () => req.destroy());' "$1" 2>/dev/null)" || return 1
  fi
  [ "$body" = "OK" ]
}

# The containers.conf podledger runs podman with (runc; ulimits below the machine's hard limits).
write_containers_conf() {
  local file="$1"
  mkdir -p "$(dirname "$file")"
  cat >"$file" <<'EOF'
# Written by podledger (scripts/setup.sh). Used as CONTAINERS_CONF for the podman service it starts.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
EOF
}

# ensure_podman_service SOCKET [ROOT RUNROOT]
#   If something answers on SOCKET, use it as it is. Otherwise start
#   `podman system service --time=0 unix://SOCKET` in the background with our containers.conf
#   (and an isolated store when ROOT and RUNROOT are given), and wait until it answers.
#   Our files live beside the socket: containers.conf, podman-service.log, podman-service.pid.
#   A service this function did not start is never stopped or restarted.
ensure_podman_service() {
  local sock="${1:?usage: ensure_podman_service SOCKET [ROOT RUNROOT]}" root="${2:-}" runroot="${3:-}"
  podman_answers "$sock" && return 0

  command -v podman >/dev/null 2>&1 || { die "podman is not installed: run bash scripts/setup.sh (as root)"; return 1; }
  local dir conf log pidfile
  dir="$(dirname "$sock")"
  conf="$dir/containers.conf"
  log="$dir/podman-service.log"
  pidfile="$dir/podman-service.pid"
  mkdir -p "$dir"

  # A service we started earlier that is still coming up: wait for it rather than start another.
  local pid=""
  [ -f "$pidfile" ] && pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
     tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "system service.*unix://$sock"; then
    _wait_for_podman "$sock" "$log" "$pid"
    return
  fi

  if [ -e "$sock" ]; then
    if [ -n "$pid" ] && [ -f "$pidfile" ]; then
      rm -f "$sock"          # left behind by a service we started, which is gone
    else
      die "$sock exists but does not answer GET /_ping, and podledger did not start it: stop whatever owns it, remove it, or point PODLEDGER_PODMAN_SOCKET elsewhere"
      return 1
    fi
  fi

  write_containers_conf "$conf"
  local args=()
  [ -n "$root" ] && args+=(--root "$root")
  [ -n "$runroot" ] && args+=(--runroot "$runroot")
  say "starting podman API service on $sock (log: $log)"
  CONTAINERS_CONF="$conf" setsid podman "${args[@]}" system service --time=0 "unix://$sock" \
    </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
  _wait_for_podman "$sock" "$log" "$pid"
}

_wait_for_podman() {
  local sock="$1" log="$2" pid="$3" i
  for ((i = 0; i < 300; i++)); do          # 30 s
    podman_answers "$sock" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2 2>/dev/null || true
      die "podman system service (pid $pid) exited before answering on $sock; see $log"
      return 1
    fi
    sleep 0.1
  done
  tail -n 20 "$log" >&2 2>/dev/null || true
  die "podman system service (pid $pid) did not answer GET /_ping on $sock within 30 s; see $log"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  podledger_setup
fi
