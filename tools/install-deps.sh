#!/usr/bin/env bash
# Install what VTL needs to build and test, from Debian's archive.
# Only missing packages are installed; safe to run again.
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang llvm libbpf-dev libxdp-dev bpftool
      libelf-dev libsodium-dev zlib1g-dev iproute2 iputils-ping ethtool python3 util-linux procps
      coreutils jq iperf3 tcpdump tshark curl nftables)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get install)" >&2
	exit 1
fi
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark (wireshark-common) asks whether non-root users may capture:
	# answer "no" beforehand so that the install never waits for input.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
