#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, if any is missing. Idempotent and
# quiet when everything is there; needs root (or sudo) only when it has something to install.
set -euo pipefail
# python3-venv and python3-pip: scripts/gate-contract.sh installs schemathesis from PyPI in a venv.
packages=(libsqlite3-dev libncurses-dev tmux curl openssl protobuf-compiler redis-server postgresql python3-venv python3-pip)
if [[ ${1:-} == --list ]]; then
  echo "${packages[@]}"
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "installing: ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
