#!/usr/bin/env bash
# Tests the checkpoint converter (tools/convert): conversion of torchvision- and Microsoft/MTLoRA-named
# Swin checkpoints, numerical equality with the original model, error messages, and that
# tools/convert/make_fixture.py reproduces the committed fixture in src/test/resources/conversion
# byte for byte. Needs Debian's python3-torch and python3-torchvision, installed here when missing.
# Idempotent; runnable from any directory. About 10 s once the packages are present.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py=/usr/bin/python3

if ! "$py" -c 'import torch, torchvision' >/dev/null 2>&1; then
  echo "convert: installing python3-torch and python3-torchvision"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-torch python3-torchvision >/dev/null
fi

cd "$root"
"$py" tools/convert/test_convert.py
