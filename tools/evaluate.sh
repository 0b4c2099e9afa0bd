#!/usr/bin/env bash
# Evaluates a Sinewich bundle on a sinewich-dataset/v1 directory (docs/EVALUATION.md).
#
#   tools/evaluate.sh --model <bundle dir|bundle.zip|default> --data <dataset dir> \
#       [--baseline report.json] [--out report.json] [--batch N] [--device auto|cpu|gpu]
#
# Builds the packaged application first when it is missing or older than the sources
# (mvn -B -q -o package -DskipTests; set MVN_OFFLINE= to let Maven download), then runs
# dev.sinewich.serve.evaluation.EvaluateCommand on its classpath, without starting the server.
# Exit status: 0 success, 1 evaluation failed, 2 usage error.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
app="$root/target/quarkus-app"

needs_build() {
  [[ ! -f "$app/quarkus-run.jar" ]] && return 0
  [[ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$app/quarkus-run.jar" -type f -print -quit)" ]]
}

if needs_build; then
  echo "Building the application (mvn package -DskipTests)..." >&2
  mvn -B -q ${MVN_OFFLINE--o} -f "$root/pom.xml" package -DskipTests >&2
fi

export DJL_OFFLINE=true OPT_OUT_TRACKING=true
exec java ${JAVA_OPTS:-} --add-opens java.base/java.lang=ALL-UNNAMED -Dai.djl.offline=true \
  -cp "$app/app/*:$app/lib/main/*:$app/lib/boot/*" \
  dev.sinewich.serve.evaluation.EvaluateCommand "$@"
