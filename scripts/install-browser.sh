#!/usr/bin/env bash
# A headless chromium for the KPI report's rendering test (tests/browser.py): Debian's package.
# Idempotent; needs root (apt-get), as CI and these machines have.
set -euo pipefail
for b in chromium-headless-shell chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then echo "[install-browser] $b is installed"; exit 0; fi
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[install-browser] ERROR: no apt-get: install chromium (headless) by hand" >&2; exit 1
fi
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium-headless-shell fonts-dejavu-core
