#!/usr/bin/env bash
# The whole test suite: set-up, lint, typecheck, unit + kernel tests (vitest), build, browser tests
# (Playwright + Debian Chromium); the kernel tests run twice, once per engine driver. Ends with one line "N passed, N failed" summing both runners.
# Kernel tests need root (each runs in its own throwaway sandbox namespace); with CI=true they must not skip.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p reports
rm -f reports/gates.txt
status=0
gate() { # name, command...: a gate that is not a test but must pass
  local name=$1; shift
  echo "== $name"
  if "$@"; then echo "passed $name" >> reports/gates.txt
  else echo "!! $name failed"; echo "failed $name" >> reports/gates.txt; status=1; fi
}
gate lint npx --no-install biome check .
gate typecheck npx --no-install tsc -b
gate schema-fresh npx --no-install tsx scripts/gen-schema.ts --check
# The compiled server and CLI (dist/server): what bin/netloom.js runs, so tests that start it find it current.
gate build-server node scripts/build-server.mjs

echo "== vitest (unit + kernel, ip-batch driver)"
rm -f reports/vitest.json reports/vitest-netlink.json
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json || status=1

# Results must not depend on the driver: the kernel tests again, every plain engine on the netlink driver
# (it must load: openEngine throws rather than fall back to ip-batch).
echo "== vitest (kernel, netlink driver)"
NETLOOM_TEST_DRIVER=netlink npx --no-install vitest run --project kernel --reporter=default --reporter=json \
  --outputFile.json=reports/vitest-netlink.json || status=1

gate build npx --no-install vite build --logLevel warn

echo "== playwright (e2e)"
npx --no-install playwright test || status=1

node scripts/summary.mjs || status=1
exit $status
