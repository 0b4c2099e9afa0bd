#!/usr/bin/env bash
# Builds the GPU image's Dockerfile (docker/Dockerfile.cuda) by its documented build order and runs
# the result, as far as a machine without a GPU or NVIDIA's registry can: Docker Hub is not
# reachable, so both bases are Debian-made stand-ins (the CUDA base: Debian bookworm minbase; the
# Temurin JRE: Debian's openjdk-17 copied to /opt/java/openjdk with its links resolved), and the
# 2 GB CUDA natives are swapped for the CPU natives of the same PyTorch (2.5.1) and DJL (0.33.0),
# so the image's own start script, user and layout serve a request on the CPU
# (SINEWICH_MODEL_DEVICE=cpu). Called by .ci/image/run.sh with its Docker daemon running and its
# stand-in images built (sinewich-ci/debian:bookworm, sinewich-ci/jre:17). The cuda build lives in
# a copy of the sources under target/cuda-image, so the CPU build's outputs are untouched.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/target/cuda-image"
out="$root/target/image/cuda"
image="sinewich-serve:ci-cuda"
name="sinewich-image-ci-cuda"
rm -rf "$work" "$out" && mkdir -p "$work/src" "$out"
export DOCKER_BUILDKIT=0
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT

start=$(date +%s)
cp "$root/pom.xml" "$root/.dockerignore" "$work/"
cp -r "$root/src/main" "$work/src/"
cp -r "$root/proto" "$root/docker" "$work/"
(cd "$work" && mvn -B -ntp -q -P cuda -Dpytorch.native=pytorch-native-cpu package -DskipTests) >"$out/mvn.log" 2>&1 \
  || { tail -30 "$out/mvn.log" >&2; echo "cuda image: mvn -Pcuda package failed" >&2; exit 1; }
[ -f "$work/target/quarkus-app/lib/main/ai.djl.api-0.33.0.jar" ] \
  || { echo "cuda image: the cuda build does not carry DJL 0.33.0" >&2; exit 1; }
sh "$work/docker/extract-libtorch.sh" "$work/target/quarkus-app" "$work/target/libtorch" >/dev/null
echo "cuda image: application built with -Pcuda (DJL 0.33.0, PyTorch 2.5.1) in $(( $(date +%s) - start )) s"

if ! docker image inspect sinewich-ci/temurin-like:17 >/dev/null 2>&1; then
  printf '%s\n' 'FROM sinewich-ci/jre:17' \
    'RUN mkdir -p /opt/java && cp -rL /usr/lib/jvm/java-17-openjdk-amd64 /opt/java/openjdk' \
    | docker build --network host -t sinewich-ci/temurin-like:17 - >"$out/jre-build.log" 2>&1 \
    || { tail -20 "$out/jre-build.log" >&2; exit 1; }
fi
start=$(date +%s)
(cd "$work" && docker build --network host --build-arg JRE_IMAGE=sinewich-ci/temurin-like:17 \
  --build-arg CUDA_IMAGE=sinewich-ci/debian:bookworm -f docker/Dockerfile.cuda -t "$image" .) \
  >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; echo "cuda image: docker build failed" >&2; exit 1; }
size=$(docker image inspect -f '{{.Size}}' "$image")
echo "cuda image: $image built in $(( $(date +%s) - start )) s, $(( size / 1048576 )) MiB (CPU natives)"

# shellcheck source=.ci/lib/free-ports.sh disable=SC1091
source "$root/.ci/lib/free-ports.sh"
read -r http_port grpc_port management_port < <(free_ports 3)
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --network host --read-only --tmpfs /tmp -e SINEWICH_MODEL_DEVICE=cpu \
  -e QUARKUS_HTTP_PORT="$http_port" -e QUARKUS_GRPC_SERVER_PORT="$grpc_port" \
  -e QUARKUS_MANAGEMENT_PORT="$management_port" "$image" >/dev/null
if ! MANAGEMENT_URL="http://127.0.0.1:$management_port" node "$here/check.mjs" "http://127.0.0.1:$http_port"; then
  docker logs "$name" 2>&1 | tail -30 >&2
  exit 1
fi
uid=$(docker inspect -f '{{.Config.User}}' "$name")
[ "$uid" = "10001:10001" ] || { echo "cuda image: the container runs as '$uid', not 10001:10001" >&2; exit 1; }
device=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed -n 's/^SINEWICH_MODEL_DEVICE=//p')
[ "$device" = "gpu" ] || { echo "cuda image: SINEWICH_MODEL_DEVICE defaults to '$device', not gpu" >&2; exit 1; }
echo "ok   cuda image: runs read-only as $uid, defaults to the GPU, serves with the image's start script"
