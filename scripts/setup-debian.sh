#!/usr/bin/env bash
# Installs airbytefs's build and test dependencies from Debian's packages (needs root or sudo).
set -euo pipefail
PACKAGES=(build-essential cmake pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev libjson-c-dev
          libglib2.0-dev python3 python3-pytest python3-jsonschema python3-yaml
          jq rsync vim-nox git curl psmisc valgrind clang strace
          libglib2.0-bin man-db groff-base)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
