#!/bin/bash
# Exits 0 when the server on this host answers 200 on /q/health/ready (model loaded, warmed up and
# not shutting down), 1 otherwise. Needs only bash (/dev/tcp), no curl. The image's HEALTHCHECK;
# CI runs it against the started server too.
#   healthcheck.sh [port]    (default: $QUARKUS_MANAGEMENT_PORT, else 8081: the management interface)
set -u
port="${1:-${QUARKUS_MANAGEMENT_PORT:-8081}}"
if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  echo "healthcheck: nothing listens on port $port" >&2
  exit 1
fi
printf 'GET /q/health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
status=""
IFS= read -r -t 5 status <&3 || true
exec 3<&-
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
esac
echo "healthcheck: not ready (${status:-no answer})" >&2
exit 1
