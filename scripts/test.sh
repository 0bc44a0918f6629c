#!/usr/bin/env bash
# README command #2: set up this machine (Debian packages + npm) and run the whole test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/run-tests.sh "$@"
