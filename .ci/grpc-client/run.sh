#!/usr/bin/env bash
# Starts the packaged server (target/quarkus-app, built by `mvn package` or `mvn verify`) on its
# embedded default model and checks both gRPC services with the independent Node.js client in this
# directory. Needs Java 17, Node 20 and npm; installs nothing globally. Exits with the client's
# status (1 when a check fails), or non-zero when the server does not become ready.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/target/quarkus-app/quarkus-run.jar"
log="$root/target/grpc-client-server.log"

if [ ! -f "$jar" ]; then
  echo "grpc-client: $jar is missing; build it first (mvn -B package -DskipTests)" >&2
  exit 2
fi

(cd "$here" && npm ci --no-audit --no-fund)

# Two distinct free ports, picked by the OS.
# shellcheck source=.ci/lib/free-ports.sh disable=SC1091
source "$root/.ci/lib/free-ports.sh"
read -r http_port grpc_port management_port < <(free_ports 3)

echo "grpc-client: starting the server (HTTP $http_port, gRPC $grpc_port); log in $log"
env -u SINEWICH_MODEL_PATH QUARKUS_HTTP_PORT="$http_port" QUARKUS_GRPC_SERVER_PORT="$grpc_port" QUARKUS_MANAGEMENT_PORT="$management_port" \
  DJL_OFFLINE=true OPT_OUT_TRACKING=true java -jar "$jar" >"$log" 2>&1 &
server=$!

stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
}
trap stop_server EXIT

ready_url="http://127.0.0.1:$management_port/q/health/ready"
for _ in $(seq 1 240); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "grpc-client: the server exited before it was ready:" >&2
    cat "$log" >&2
    exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$ready_url"; then
    break
  fi
  sleep 0.5
done
if ! node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$ready_url"; then
  echo "grpc-client: the server was not ready within 120 s:" >&2
  tail -n 50 "$log" >&2
  exit 1
fi

status=0
node "$here/client.mjs" "127.0.0.1:$grpc_port" --model sinewich-default \
  --tasks semseg,depth,normals,saliency --input 64x64 || status=$?

stop_server
trap - EXIT
if [ "$status" -ne 0 ]; then
  echo "grpc-client: the client failed (exit $status); the server's log is $log" >&2
fi
exit "$status"
