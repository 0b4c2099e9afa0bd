#!/bin/sh
# Lays out libtorch and DJL's JNI library from a packaged Quarkus app, exactly as DJL's PyTorch
# engine would extract them into its cache on first start, so the server never writes them at run
# time (no $HOME, read-only root filesystem). Used by docker/Dockerfile, docker/Dockerfile.cuda
# and the CI start-command test (.ci/deploy/run.sh).
#
#   extract-libtorch.sh <quarkus-app dir> <destination dir>
#
# It also lays out ONNX Runtime's natives (the CPU engine) from its jar, so that ONNX Runtime for
# Java loads them from there (-Donnxruntime.native.path, set by start.sh) instead of unpacking
# them into a temporary folder at start-up.
#
# Result (the names DJL 0.36 LibUtils looks for):
#   <dest>/pytorch/<version>-<flavor>-<classifier>/   libtorch*.so, libc10*.so, ... and
#                                                     <djl version>-libdjl_torch.so
#   <dest>/onnxruntime/                               libonnxruntime.so, libonnxruntime4j_jni.so
#   <dest>/libtorch.env                               PYTORCH_VERSION, PYTORCH_FLAVOR and the
#                                                     folder name, read by docker/start.sh
# Needs only a JDK's `jar` tool (or unzip) and a POSIX shell.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <quarkus-app dir> <destination dir>" >&2
  exit 2
fi
app="$1"
dest="$2"
lib="$app/lib/main"

one_jar() {
  # exactly one jar matching the pattern, or a clear error
  # shellcheck disable=SC2086 # the pattern must expand
  set -- $1
  if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
    echo "extract-libtorch: expected one jar matching the pattern, found: $*" >&2
    exit 1
  fi
  echo "$1"
}
native_jar="$(one_jar "$lib/ai.djl.pytorch.pytorch-native-*.jar")"
jni_jar="$(one_jar "$lib/ai.djl.pytorch.pytorch-jni-*.jar")"
engine_jar="$(one_jar "$lib/ai.djl.pytorch.pytorch-engine-*.jar")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# unzip_into <dir> <jar>: the whole jar
unzip_into() {
  mkdir -p "$1"
  abs="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$abs" -d "$1"
  else
    (cd "$1" && jar xf "$abs")
  fi
}

prop() { sed -n "s/^$1=//p" "$2" | tr -d '\r'; }

unzip_into "$work/native" "$native_jar"
unzip_into "$work/jni" "$jni_jar"
unzip_into "$work/engine" "$engine_jar"

props="$work/native/native/lib/pytorch.properties"
version="$(prop version "$props")"
flavor="$(prop flavor "$props")"
classifier="$(prop classifier "$props")"
libraries="$(prop libraries "$props")"
djl_version="$(prop djl_version "$work/engine/pytorch-engine.properties")"
for v in version flavor classifier libraries djl_version; do
  eval "val=\${$v}"
  if [ -z "$val" ]; then
    echo "extract-libtorch: no $v in the natives' or engine's properties" >&2
    exit 1
  fi
done

name="$version-$flavor-$classifier"
target="$dest/pytorch/$name"
rm -rf "$target"
mkdir -p "$target"
old_ifs="$IFS"; IFS=','
for file in $libraries; do
  IFS="$old_ifs"
  # DJL's native jars keep the libraries under pytorch/<flavor>/<classifier>/ (0.34+) or native/lib/
  found=""
  for candidate in "$work/native/pytorch/$flavor/$classifier/$file" "$work/native/native/lib/$file"; do
    if [ -f "$candidate" ]; then found="$candidate"; break; fi
  done
  if [ -z "$found" ]; then
    echo "extract-libtorch: $file (listed in $props) is not in $native_jar" >&2
    exit 1
  fi
  cp "$found" "$target/$file"
done
IFS="$old_ifs"

jni="$work/jni/jnilib/$classifier/$flavor/libdjl_torch.so"
if [ ! -f "$jni" ]; then
  echo "extract-libtorch: $jni_jar has no JNI library for $classifier/$flavor" >&2
  exit 1
fi
cp "$jni" "$target/$djl_version-libdjl_torch.so"

ort_jar="$(one_jar "$lib/com.microsoft.onnxruntime.onnxruntime-*.jar")"
unzip_into "$work/ort" "$ort_jar"
case "$(uname -m)" in
  x86_64) ort_arch=linux-x64 ;;
  aarch64) ort_arch=linux-aarch64 ;;
  *) echo "extract-libtorch: no ONNX Runtime natives for $(uname -m)" >&2; exit 1 ;;
esac
rm -rf "$dest/onnxruntime"
mkdir -p "$dest/onnxruntime"
for file in libonnxruntime.so libonnxruntime4j_jni.so; do
  if [ ! -f "$work/ort/ai/onnxruntime/native/$ort_arch/$file" ]; then
    echo "extract-libtorch: $file for $ort_arch is not in $ort_jar" >&2
    exit 1
  fi
  cp "$work/ort/ai/onnxruntime/native/$ort_arch/$file" "$dest/onnxruntime/$file"
done
chmod -R a+rX "$dest"

cat > "$dest/libtorch.env" <<ENV
# written by extract-libtorch.sh from $(basename "$native_jar"); read by start.sh
PYTORCH_VERSION=$version
PYTORCH_FLAVOR=$flavor
SINEWICH_LIBTORCH_NAME=$name
ENV
echo "extract-libtorch: libtorch $version ($flavor, $classifier) and DJL $djl_version JNI in $target;"
echo "extract-libtorch: ONNX Runtime natives ($ort_arch) in $dest/onnxruntime"
