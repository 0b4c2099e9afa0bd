#!/usr/bin/env bash
# The trainer end to end on CPUs (tools/train/smoke.sh): tiny PASCAL_MT- and NYUD_MT-layout data sets,
# two ranks under torchrun (gloo) with the replicas compared after every step, a run killed with
# SIGKILL and resumed to the same weights bit for bit, the export checked against the reference, and
# the bundle scored by the server's evaluator on the packaged application (after `mvn verify`).
# Needs Debian's python3-torch, python3-torchvision, python3-pil, python3-scipy and python3-skimage,
# installed here when missing. About 1-2 minutes once the packages are present.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=.ci/lib/python-torch.sh disable=SC1091
source "$root/.ci/lib/python-torch.sh"
ensure_python_torch train
if ! /usr/bin/python3 -c 'import scipy.io, skimage.morphology' >/dev/null 2>&1; then
  echo "train: installing python3-scipy and python3-skimage"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-scipy python3-skimage >/dev/null
fi
"$root/tools/train/smoke.sh" "$root/target/ci-train"
