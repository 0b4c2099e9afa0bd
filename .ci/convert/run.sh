#!/usr/bin/env bash
# Tests the checkpoint converter (tools/convert): conversion of torchvision- and Microsoft/MTLoRA-named
# Swin checkpoints, numerical equality with the original model, error messages, and that
# tools/convert/make_fixture.py reproduces the committed fixture in src/test/resources/conversion
# byte for byte. Needs Debian's python3-torch and python3-torchvision, installed here when missing.
# Idempotent; runnable from any directory. About 10 s once the packages are present.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py=/usr/bin/python3

# shellcheck source=.ci/lib/python-torch.sh disable=SC1091
source "$root/.ci/lib/python-torch.sh"
ensure_python_torch convert

cd "$root"
"$py" tools/convert/test_convert.py
