#!/bin/sh
# The server's start command, in the image (ENTRYPOINT) and in CI (.ci/deploy/run.sh).
# Points DJL at the libtorch that extract-libtorch.sh laid out, so nothing is extracted or
# downloaded at start and nothing is written under $HOME: the root filesystem may be read-only,
# only /tmp (java.io.tmpdir) needs to be writable.
#
# Environment:
#   SINEWICH_APP_DIR       the Quarkus app (quarkus-run.jar and lib/); default /app
#   SINEWICH_LIBTORCH_DIR  extract-libtorch.sh's destination; default /opt/libtorch
#   JAVA_OPTS              JVM options; default below (heap from the container's memory limit;
#                          libtorch's tensors live outside the heap)
#   JAVA_OPTS_APPEND       more JVM options, added after JAVA_OPTS
#   TMPDIR                 the writable directory (java.io.tmpdir, JNA's native stubs); default /tmp
#   SINEWICH_CPUS          the container's CPU request in whole cores (the chart sets it from the
#                          downward API): the JVM sizes its pools from it (-XX:ActiveProcessorCount)
#                          instead of the node's cores; unset or 0 leaves the JVM's own count
# Any arguments are passed to the application.
set -eu
app_dir="${SINEWICH_APP_DIR:-/app}"
torch_dir="${SINEWICH_LIBTORCH_DIR:-/opt/libtorch}"

if [ ! -f "$torch_dir/libtorch.env" ]; then
  echo "start: $torch_dir/libtorch.env is missing; run extract-libtorch.sh first" >&2
  exit 1
fi
# shellcheck source=/dev/null # written by extract-libtorch.sh
. "$torch_dir/libtorch.env"

# DJL (0.36 LibUtils): PYTORCH_LIBRARY_PATH holds libtorch; the JNI library is looked up as
# <ENGINE_CACHE_DIR>/pytorch/<PYTORCH_VERSION>-<PYTORCH_FLAVOR>-<classifier>/<djl>-libdjl_torch.so
# (PYTORCH_FLAVOR must be set: its default is cpu-precxx11).
export PYTORCH_LIBRARY_PATH="$torch_dir/pytorch/$SINEWICH_LIBTORCH_NAME"
export PYTORCH_VERSION PYTORCH_FLAVOR
export ENGINE_CACHE_DIR="$torch_dir"
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$torch_dir}"
export DJL_OFFLINE=true
export OPT_OUT_TRACKING=true

# JNA (DJL's CUDA probe) unpacks its stub under ~/.cache unless told otherwise.
tmp_dir="${TMPDIR:-/tmp}"

JAVA_OPTS="${JAVA_OPTS:--XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError}"
# ONNX Runtime's natives, laid out by extract-libtorch.sh, load from there (nothing unpacked)
ort_opts=""
if [ -f "$torch_dir/onnxruntime/libonnxruntime.so" ]; then
  ort_opts="-Donnxruntime.native.path=$torch_dir/onnxruntime"
fi

cpu_opts=""
case "${SINEWICH_CPUS:-0}" in
  ''|0|*[!0-9]*) ;;
  *) case "$JAVA_OPTS ${JAVA_OPTS_APPEND:-}" in
       *ActiveProcessorCount*) ;;
       *) cpu_opts="-XX:ActiveProcessorCount=$SINEWICH_CPUS" ;;
     esac ;;
esac

# shellcheck disable=SC2086 # ort_opts, cpu_opts, JAVA_OPTS and JAVA_OPTS_APPEND are word lists
exec java -Djava.io.tmpdir="$tmp_dir" -Djna.tmpdir="$tmp_dir" $ort_opts $cpu_opts $JAVA_OPTS ${JAVA_OPTS_APPEND:-} \
  -jar "$app_dir/quarkus-run.jar" "$@"
