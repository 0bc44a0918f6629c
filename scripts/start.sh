#!/usr/bin/env bash
# README command #1: set up this machine, build the canvas, and start Netloom on the default example lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npm start --silent -- "$@"
