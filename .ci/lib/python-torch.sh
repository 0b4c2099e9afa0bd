# shellcheck shell=bash
# Sourced by the CI scripts that run the Python reference: ensure_python_torch <who> makes sure
# Debian's /usr/bin/python3 imports torch, torchvision and PIL, installing python3-torch,
# python3-torchvision and python3-pil when one is missing.
ensure_python_torch() {
  if ! /usr/bin/python3 -c 'import torch, torchvision, PIL' >/dev/null 2>&1; then
    echo "$1: installing python3-torch, python3-torchvision and python3-pil"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3-torch python3-torchvision python3-pil >/dev/null
  fi
}
