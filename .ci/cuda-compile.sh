#!/usr/bin/env bash
# The GPU build cannot rot unnoticed: compiles the main code with the Maven profile `cuda` (DJL
# 0.33.0 and PyTorch 2.5.1 for CUDA 12.4, what docker/Dockerfile.cuda builds) in a copy of the
# sources under target/cuda-compile, so the CPU build's outputs are untouched. The CUDA natives
# (over 2 GB) are left out: their scope is set to test, which the compile phase does not resolve.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/target/cuda-compile"
rm -rf "$work" && mkdir -p "$work/src"
cp "$root/pom.xml" "$work/"
cp -r "$root/src/main" "$work/src/"
cp -r "$root/proto" "$work/"
(cd "$work" && mvn -B -ntp -q -P cuda -Dpytorch.native.scope=test compile)
djl=$(sed -n '/<id>cuda<\/id>/,/<\/profile>/s/.*<djl.version>\(.*\)<\/djl.version>.*/\1/p' "$root/pom.xml")
echo "cuda-compile: the main code compiles with the cuda profile (DJL $djl)"
