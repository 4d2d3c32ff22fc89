#!/usr/bin/env bash
# `npm test`: set the machine up, then lint, type-check and run every test (unit and podman).
# The podman tests start their own isolated podman service (test/support/podman-global.ts).
# Extra arguments are passed to `vitest run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=setup.sh
source scripts/setup.sh
podledger_setup

PODLEDGER_LOG_PREFIX=test say "lint (eslint)"
npx eslint .
PODLEDGER_LOG_PREFIX=test say "type-check (tsc --noEmit)"
npx tsc -p tsconfig.json --noEmit
PODLEDGER_LOG_PREFIX=test say "tests (vitest run)"
npx vitest run "$@"
