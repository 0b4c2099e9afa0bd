#!/usr/bin/env bash
# Builds the CPU image (docker/Dockerfile) from the packaged application and runs it the way a
# cluster does: read-only root filesystem, a /tmp tmpfs, the image's non-root user. Then readiness,
# one REST and the gRPC client's inference checks (.ci/grpc-client), SIGTERM while 8 clients send
# requests back to back (each sent before it must be answered, 200 or 503, and one in flight must
# get its 200 after it; the exit status must be the JVM's 143 after its shutdown hooks),
# and the image size; then the same image run the way KServe runs the chart's ServingRuntime
# (.ci/image/kserve.sh); then the GPU image's Dockerfile (.ci/image/cuda.sh). Needs root (dockerd), Debian's docker.io and debootstrap (installed when
# missing), Node 20, and target/quarkus-app (mvn package). Docker Hub is not reachable here, so the
# base is a local stand-in for eclipse-temurin: Debian bookworm (debootstrap) with
# openjdk-17-jre-headless, cached as sinewich-ci/jre:17. The daemon runs without a bridge or
# iptables (loopback only); builds and containers use the host network.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/image"
app="$root/target/quarkus-app"
image="sinewich-serve:ci"
name="sinewich-image-ci"
[ -f "$app/quarkus-run.jar" ] || { echo "image: $app/quarkus-run.jar is missing; run mvn -B package first" >&2; exit 2; }
rm -rf "$out" && mkdir -p "$out"
export DOCKER_BUILDKIT=0

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  echo "image: installing docker.io and debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
fi
dockerd_pid=""
if ! docker info >/dev/null 2>&1; then
  dockerd --bridge=none --iptables=false --ip-masq=false >"$out/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$out/dockerd.log" >&2; echo "image: dockerd did not start" >&2; exit 1; }
fi
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  if [ -n "$dockerd_pid" ]; then kill "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

start=$(date +%s)
if ! docker image inspect sinewich-ci/jre:17 >/dev/null 2>&1; then
  if ! docker image inspect sinewich-ci/debian:bookworm >/dev/null 2>&1; then
    rootfs="$(mktemp -d)"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$out/debootstrap.log" 2>&1 \
      || { tail -20 "$out/debootstrap.log" >&2; exit 1; }
    tar -C "$rootfs" -c . | docker import - sinewich-ci/debian:bookworm >/dev/null
    rm -rf "$rootfs"
  fi
  printf '%s\n' 'FROM sinewich-ci/debian:bookworm' \
    'RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless && rm -rf /var/lib/apt/lists/*' \
    | docker build --network host -t sinewich-ci/jre:17 - >"$out/jre-build.log" 2>&1 \
    || { tail -20 "$out/jre-build.log" >&2; exit 1; }
fi
echo "image: base sinewich-ci/jre:17 ready in $(( $(date +%s) - start )) s"

# The documented build order: the application (already packaged), libtorch laid out, the image.
rm -rf "$root/target/libtorch"
sh "$root/docker/extract-libtorch.sh" "$app" "$root/target/libtorch" >/dev/null
start=$(date +%s)
(cd "$root" && docker build --network host --build-arg RUNTIME_IMAGE=sinewich-ci/jre:17 -f docker/Dockerfile -t "$image" .) \
  >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; echo "image: docker build failed" >&2; exit 1; }
size=$(docker image inspect -f '{{.Size}}' "$image")
echo "image: $image built in $(( $(date +%s) - start )) s, $(( size / 1048576 )) MiB"

# shellcheck source=.ci/lib/free-ports.sh disable=SC1091
source "$root/.ci/lib/free-ports.sh"
read -r http_port grpc_port management_port < <(free_ports 3)
export MANAGEMENT_URL="http://127.0.0.1:$management_port"
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --network host --read-only --tmpfs /tmp \
  -e QUARKUS_HTTP_PORT="$http_port" -e QUARKUS_GRPC_SERVER_PORT="$grpc_port" \
  -e QUARKUS_MANAGEMENT_PORT="$management_port" "$image" >/dev/null
if ! node "$here/check.mjs" "http://127.0.0.1:$http_port"; then
  docker logs "$name" 2>&1 | tail -30 >&2
  exit 1
fi
uid=$(docker inspect -f '{{.Config.User}}' "$name")
[ "$uid" = "10001:10001" ] || { echo "image: the container runs as '$uid', not 10001:10001" >&2; exit 1; }
echo "ok   runs read-only as $uid"
if [ ! -d "$root/.ci/grpc-client/node_modules" ]; then
  (cd "$root/.ci/grpc-client" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
node "$root/.ci/grpc-client/client.mjs" "127.0.0.1:$grpc_port" >"$out/grpc.log" 2>&1 \
  || { cat "$out/grpc.log" >&2; echo "image: gRPC checks failed" >&2; exit 1; }
echo "ok   gRPC: $(grep -c '^ok' "$out/grpc.log") checks of both services passed"

# SIGTERM while requests are in flight: every one sent before it is answered, then the JVM exits 143.
# shellcheck source=.ci/image/sigterm.sh disable=SC1091
source "$here/sigterm.sh"
sigterm_in_flight "$name" "http://127.0.0.1:$http_port" "$out" 8 || { echo "image: SIGTERM check failed" >&2; exit 1; }
echo "image: $image: $(( size / 1048576 )) MiB"

# The same image as KServe runs it: the rendered ServingRuntime's container, /mnt/models.
"$here/kserve.sh"

# The GPU image's Dockerfile, built and run on the same daemon and stand-ins.
"$here/cuda.sh"
