#!/usr/bin/env bash
# End-to-end check of the demo page at / in headless Chromium: starts the packaged server
# (target/quarkus-app, built by `mvn verify` or `mvn package`) on its embedded default model, uploads
# a generated PNG, runs every task the server lists, checks the pictures, legends and latencies, then
# a text file and the server's error message, and saves target/demo-screenshot.png. Installs Debian's
# chromium when /usr/bin/chromium is missing and playwright-core into target/ci-tools/demo (no
# browser download). Idempotent; always stops the server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/target/quarkus-app/quarkus-run.jar"
log="$root/target/demo-server.log"
tools="$root/target/ci-tools/demo"
playwright_version="1.65.1"

if [ ! -f "$jar" ]; then
  echo "demo: $jar is missing; build it first (mvn -B verify, or mvn -B package -DskipTests)" >&2
  exit 2
fi

if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

installed="$(node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("") }' \
  "$tools/node_modules/playwright-core/package.json")"
if [ "$installed" != "$playwright_version" ]; then
  mkdir -p "$tools"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$tools" --no-audit --no-fund --silent \
    "playwright-core@$playwright_version"
fi

# Two distinct free ports, picked by the OS.
# shellcheck source=.ci/lib/free-ports.sh disable=SC1091
source "$root/.ci/lib/free-ports.sh"
read -r http_port grpc_port management_port < <(free_ports 3)

# Starts the server with extra environment (e.g. API keys) and waits until it is ready.
server=""
start_server() {
  echo "demo: starting the server (HTTP $http_port, gRPC $grpc_port${1:+, API keys on}); log in $log"
  env -u SINEWICH_MODEL_PATH QUARKUS_HTTP_PORT="$http_port" QUARKUS_GRPC_SERVER_PORT="$grpc_port" QUARKUS_MANAGEMENT_PORT="$management_port" \
    DJL_OFFLINE=true OPT_OUT_TRACKING=true "$@" java -jar "$jar" >>"$log" 2>&1 &
  server=$!
  local ready_url="http://127.0.0.1:$management_port/q/health/ready"
  for _ in $(seq 1 240); do
    if ! kill -0 "$server" 2>/dev/null; then
      echo "demo: the server exited before it was ready:" >&2
      tail -n 50 "$log" >&2
      return 1
    fi
    if ready "$ready_url"; then
      return 0
    fi
    sleep 0.5
  done
  echo "demo: the server was not ready within 120 s:" >&2
  tail -n 50 "$log" >&2
  return 1
}

stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  server=""
}
trap stop_server EXIT

ready() { node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }

: >"$log"
status=0
# The whole page with API keys off (the default), then the key prompt with keys on.
start_server
DEMO_TOOLS="$tools" DEMO_OUT="$root/target" node "$here/e2e.mjs" "http://127.0.0.1:$http_port/" || status=$?
stop_server
if [ "$status" -eq 0 ]; then
  key="demo-key-$RANDOM$RANDOM"
  start_server SINEWICH_SECURITY_API_KEYS="$key"
  DEMO_TOOLS="$tools" DEMO_OUT="$root/target" DEMO_API_KEY="$key" node "$here/e2e.mjs" \
    "http://127.0.0.1:$http_port/" || status=$?
  stop_server
fi
trap - EXIT
if [ "$status" -ne 0 ]; then
  echo "demo: the end-to-end check failed (exit $status); the server's log is $log" >&2
fi
exit "$status"
