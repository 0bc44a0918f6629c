#!/usr/bin/env bash
# One-time (and idempotent) set-up for a fresh Debian/Ubuntu machine: the Debian packages Netloom needs and
# the npm dependencies pinned by package-lock.json. A no-op when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

# iproute2: ip/bridge/tc; util-linux: unshare/nsenter (sandbox); iputils-ping: reachability;
# traceroute: path confirmation; chromium: browser tests and screenshots; tcpdump: packet capture;
# nftables: NAT; procps: sysctl; wireguard-go + wireguard-tools: WireGuard interfaces where the kernel has no
# wireguard module (userspace on a TUN device, configured over its UAPI socket; `wg` for the kernel module).
DEB_PACKAGES=(iproute2 util-linux iputils-ping traceroute chromium tcpdump nftables procps ca-certificates
  wireguard-go wireguard-tools)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
      echo "setup: need root to install ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 20.19+ is required (vite 8). Debian's own nodejs is older; the machine image provides a newer one.
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("setup: Node >= 20.19 required, found "+process.versions.node); process.exit(1) }'

# npm dependencies: reinstall only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm_config_nodedir=/usr npm ci --engine-strict --no-audit --no-fund --loglevel=error
fi
