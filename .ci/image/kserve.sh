#!/usr/bin/env bash
# Runs the CPU image (sinewich-serve:ci, built by .ci/image/run.sh) the way KServe runs the chart's
# CPU ServingRuntime: the container's args, env, user and read-only root filesystem exactly as
# rendered from helm/sinewich-serve with its defaults and kserve.enabled=true
# (.ci/deploy/kserve-container.mjs), the image's own ENTRYPOINT, the bundle's files in a read-only
# folder mounted at /mnt/models (as the storage initializer leaves a bundle folder, or a zip it
# unpacked), a /tmp tmpfs (the runtime's emptyDir). (The other layouts the server takes, one bundle
# folder or zip inside /mnt/models, are covered by BundleLocationTest and ModelRepositoryApiTest.) Then what KServe and its
# clients call: the runtime's readiness and liveness probes, /v2/health/ready,
# /v2/models/{name}/ready, model metadata and inference over OIP REST; every OIP and typed gRPC
# check of .ci/grpc-client under the name KServe assigned; the metrics where the runtime's
# prometheus.kserve.io annotations point; and SIGTERM while requests are in flight. Prints the cold
# start (docker run to ready). Needs the daemon run.sh started, Node 20 and the tools
# .ci/deploy/run.sh installs (helm and its node modules; installed here when missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/image/kserve"
image="sinewich-serve:ci"
name="sinewich-kserve-ci"
model="sinewich-demo"
rm -rf "$out" && mkdir -p "$out/models"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT

# shellcheck source=.ci/lib/deploy-tools.sh disable=SC1091
source "$root/.ci/lib/deploy-tools.sh"
deploy_tools "$root"
"$HELM" template "$model-runtime" "$root/helm/sinewich-serve" --set kserve.enabled=true >"$out/rendered.yaml"
node "$DEPLOY_NODE/kserve-container.mjs" "$out/rendered.yaml" "$model" >"$out/container.json"
mapfile -d '' options < <(node "$here/kserve-docker.mjs" "$out/container.json" options)
mapfile -d '' args < <(node "$here/kserve-docker.mjs" "$out/container.json" args)
read -r ready_port ready_path < <(node "$here/kserve-docker.mjs" "$out/container.json" probe readinessProbe)
read -r live_port live_path < <(node "$here/kserve-docker.mjs" "$out/container.json" probe livenessProbe)
echo "kserve: args ${args[*]}"
http_port=8080 grpc_port=9000 metrics_port=8081
for a in "${args[@]}"; do
  case "$a" in --http_port=*) http_port="${a#*=}" ;; --grpc_port=*) grpc_port="${a#*=}" ;; esac
done
for p in "$http_port" "$grpc_port" "$metrics_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "kserve: port $p is taken on this machine; the runtime's ports are used as rendered" >&2; exit 1
  fi
done

# What the storage initializer leaves for a storage URI that names a bundle folder: its files (the
# default model's, served under the assigned name; the bundle's own is sinewich-default).
bundle="$root/src/main/resources/default-model"
cp "$bundle/sinewich.json" "$bundle/model.safetensors" "$out/models/"
chmod -R a+rX "$out/models"

started=$(date +%s%3N)
docker run -d --name "$name" --network host --tmpfs /tmp -v "$out/models:/mnt/models:ro" \
  "${options[@]}" "$image" "${args[@]}" >/dev/null
export READY_URL="http://127.0.0.1:$ready_port$ready_path" MODEL="$model"
base="http://127.0.0.1:$http_port"
fail() { docker logs "$name" 2>&1 | tail -30 >&2; echo "kserve: $*" >&2; exit 1; }
node "$root/.ci/image/check.mjs" "$base" >"$out/check.log" 2>&1 || { cat "$out/check.log" >&2; fail "REST checks failed"; }
cold=$(( $(date +%s%3N) - started ))
cat "$out/check.log"
echo "ok   cold start (docker run to the readiness probe's 200 and one inference answered): ${cold} ms"
curl -fsS "http://127.0.0.1:$live_port$live_path" >/dev/null || fail "liveness probe $live_path failed"
echo "ok   liveness probe $live_path"
curl -fsS "$base/v2/health/ready" | grep -q '"ready":true' || fail "/v2/health/ready is not ready"
curl -fsS "$base/v2/models/$model/ready" >/dev/null || fail "/v2/models/$model/ready failed"
curl -fsS "$base/v2/models/$model" | grep -q "\"name\":\"$model\"" || fail "model metadata does not name $model"
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/v2/models/sinewich-default/ready")
[ "$status" = "404" ] || fail "the bundle's own name answered $status, not 404: the assigned name must replace it"
echo "ok   OIP REST: health, model ready and metadata under the assigned name $model (the bundle's own name: 404)"
curl -fsS "http://127.0.0.1:$metrics_port/q/metrics" | grep -q '^sinewich_model_info{' \
  || fail "no sinewich_model_info at :$metrics_port/q/metrics"
echo "ok   Prometheus metrics on :$metrics_port/q/metrics"
node "$root/.ci/grpc-client/client.mjs" "127.0.0.1:$grpc_port" --model "$model" \
  --tasks semseg,depth,normals,saliency --input 64x64 >"$out/grpc.log" 2>&1 \
  || { cat "$out/grpc.log" >&2; fail "gRPC checks failed"; }
echo "ok   gRPC: $(grep -c '^ok' "$out/grpc.log") checks of both services under $model"
logs="$(docker logs "$name" 2>&1)"
grep -q "Settings from the command line" <<<"$logs" || fail "the command line's settings were not logged"
grep -q "Loaded model $model version .* from /mnt/models on " <<<"$logs" \
  || fail "the model was not loaded from /mnt/models under $model"
# Allowed: Quarkus's note that gRPC has its own server (it does, on its own port, by design).
if grep -E '^\S+ \S+ (ERROR|WARN) ' <<<"$logs" | grep -v "Using legacy gRPC support with a separate HTTP server" \
  >"$out/warnings.log"; then
  cat "$out/warnings.log" >&2; fail "the server logged warnings or errors"
fi
echo "ok   log: settings from the command line, the bundle from /mnt/models, no warnings"

# shellcheck source=.ci/image/sigterm.sh disable=SC1091
source "$here/sigterm.sh"
sigterm_in_flight "$name" "$base" "$out" 8 || fail "SIGTERM check failed"
echo "kserve: docker run to the first inference answered: ${cold} ms (the bundle's files in /mnt/models, read-only; bench/coldstart.sh measures the start alone)"
