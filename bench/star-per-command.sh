#!/bin/bash
# Reference for `npm run bench`: the same star lab as bench.ts (N namespaces, one veth each to a bridge in
# the root namespace) built the way a person or a naive tool would: one `ip` process per step.
# Usage: star-per-command.sh up|down N   (run inside a sandbox: bench.ts enters it with nsenter)
set -euo pipefail
action=$1
n=$2
if [ "$action" = up ]; then
  ip link add name br0 type bridge
  ip link set dev br0 alias netloom:bench-star:br
  ip link set dev br0 up
  for ((i = 0; i < n; i++)); do
    ns=s$i
    ip netns add "$ns"
    ip -n "$ns" link set dev lo alias "netloom:bench-star:n$i"
    ip -n "$ns" link set dev lo up
    ip link add name "p$i" master br0 type veth peer name eth0 netns "$ns"
    ip link set dev "p$i" alias "netloom:bench-star:l$i.1"
    ip -n "$ns" link set dev eth0 alias "netloom:bench-star:l$i.0"
    ip link set dev "p$i" up
    ip -n "$ns" link set dev eth0 up
    ip -n "$ns" addr add "10.$((i / 250)).$((i % 250 + 1)).1/16" dev eth0
  done
else
  for ((i = 0; i < n; i++)); do
    ip netns del "s$i"
  done
  ip link del dev br0
fi
