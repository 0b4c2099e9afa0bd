#!/usr/bin/env bash
# A real Prometheus server scrapes the packaged server: starts the server (target/quarkus-app) on its
# embedded default model and Debian's prometheus (the binary .ci/run unpacked, passed as $1) on
# loopback, scraping /q/metrics every second; query.mjs sends requests in two rounds and queries
# through Prometheus's HTTP API a per-task latency quantile (multi-task requests included), the
# failure counter, and a failure series that exists at 0 before any such failure. Needs Java 17
# and Node 20; installs nothing. Exits non-zero when a check fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
prometheus="${1:?usage: .ci/prometheus/run.sh <path to the prometheus binary>}"
jar="$root/target/quarkus-app/quarkus-run.jar"
work="$root/target/ci-prometheus"
[ -f "$jar" ] || { echo "prometheus: $jar is missing; build it first (mvn -B package -DskipTests)" >&2; exit 2; }
rm -rf "$work" && mkdir -p "$work/data"

# shellcheck source=.ci/lib/free-ports.sh disable=SC1091
source "$root/.ci/lib/free-ports.sh"
read -r http_port grpc_port management_port < <(free_ports 3)
read -r prom_port _ < <(free_ports)

env -u SINEWICH_MODEL_PATH QUARKUS_HTTP_PORT="$http_port" QUARKUS_GRPC_SERVER_PORT="$grpc_port" QUARKUS_MANAGEMENT_PORT="$management_port" \
  DJL_OFFLINE=true OPT_OUT_TRACKING=true java -jar "$jar" >"$work/server.log" 2>&1 &
server=$!
cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sinewich
    metrics_path: /q/metrics
    static_configs:
      - targets: ["127.0.0.1:$management_port"]
YAML
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom=$!
stop() {
  kill -TERM "$server" "$prom" 2>/dev/null || true
  wait "$server" "$prom" 2>/dev/null || true
}
trap stop EXIT

if ! node "$here/query.mjs" "http://127.0.0.1:$http_port" "http://127.0.0.1:$prom_port" "http://127.0.0.1:$management_port"; then
  echo "prometheus: a check failed; server log $work/server.log, Prometheus log $work/prometheus.log" >&2
  tail -20 "$work/prometheus.log" >&2
  exit 1
fi
