#!/usr/bin/env bash
# Installs what the registry tests start: the CNCF distribution registry (Debian's
# `docker-registry`), skopeo (pushes test images) and htpasswd (bcrypt users for basic auth).
# Does nothing when they are all there; never prompts (CI=true, no stdin).
set -euo pipefail

missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "registry tests need: ${missing[*]} (run as root or with passwordless sudo: apt-get install -y --no-install-recommends ${missing[*]})" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq </dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
