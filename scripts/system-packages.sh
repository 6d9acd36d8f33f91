#!/usr/bin/env bash
# Debian packages the tests need that a fresh machine may lack: Chromium for the UI screenshot
# tests (driven by playwright-core) and GNU time for the benchmarks.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "system-packages: chromium and time are installed"
  exit 0
fi
echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
