# shellcheck shell=bash
# sigterm_in_flight CONTAINER BASE_URL OUT_DIR CLIENTS: SIGTERM to a running container while
# CLIENTS clients send inference requests back to back (.ci/image/check.mjs --inflight; MODEL and
# the other variables check.mjs reads pass through). Every request sent before the signal must be
# answered (200, or 503 once the server refuses new work), one in flight must get its 200 after it,
# and the container must exit 143 (the JVM after its shutdown hooks). Prints ok lines; returns 1
# with the evidence on stderr otherwise.
sigterm_in_flight() {
  local container="$1" base="$2" out="$3" clients="$4" here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  local marker="$out/sigterm-at" log="$out/inflight.log" inflight status
  node "$here/check.mjs" "$base" --inflight "$clients:$marker" >"$log" 2>&1 &
  inflight=$!
  for _ in $(seq 1 300); do grep -q '^started' "$log" && break; sleep 0.1; done
  sleep 0.2
  docker kill --signal TERM "$container" >/dev/null
  date +%s%3N >"$marker"
  status=$(docker wait "$container")
  if ! wait "$inflight"; then
    cat "$log" >&2; echo "a request in flight at SIGTERM was lost" >&2; return 1
  fi
  grep -v '^started' "$log"
  if [ "$status" != "143" ]; then
    docker logs "$container" 2>&1 | tail -20 >&2; echo "exit status $status after SIGTERM" >&2; return 1
  fi
  echo "ok   SIGTERM: graceful stop, exit $status"
}
