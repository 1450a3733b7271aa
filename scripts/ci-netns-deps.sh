#!/bin/sh
# Installs what the network-namespace tests (test/netns) need: ip (iproute2), ping, nft, iptables
# (iptables-nft and iptables-legacy, for the NAT forwarding check), an nc that knows -z and -l, util-linux's
# setpriv (to run the probe as a non-root user), sysctl, and both dash and bash to run the scripts under.
# The list of tools (and their packages) that the suites and `npm run lab` check for is lab/host.ts.
# Safe to run again.
set -eu

packages="iproute2 iputils-ping nftables iptables netcat-openbsd util-linux procps dash bash"

missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
    missing="$missing $package"
  fi
done

if [ -z "$missing" ]; then
  echo "ci-netns-deps: all present ($packages)"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

echo "ci-netns-deps: installing$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
