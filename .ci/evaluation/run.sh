#!/usr/bin/env bash
# CI step: the evaluation command line on the packaged application (run from the repository root
# after `mvn verify` has produced target/quarkus-app). Evaluates the conformance bundle on the
# committed cross-check data set, then again against its own report as the baseline (Δm must be 0).
# Needs only Java and bash.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bundle=src/test/resources/conformance/s4_mixed_downscale/bundle
data=src/test/resources/evaluation/fixture
out=target/ci-evaluation
rm -rf "$out" && mkdir -p "$out"

tools/evaluate.sh --model "$bundle" --data "$data" --out "$out/report.json" --batch 2 | tee "$out/table.md"
for key in '"format" : "sinewich-evaluation/v1"' '"miou"' '"rmse"' '"median_scaled"' '"mean"' '"max_iou"' '"primary"'; do
  grep -q -- "$key" "$out/report.json" || { echo "report.json lacks $key" >&2; exit 1; }
done

tools/evaluate.sh --model "$bundle" --data "$data" --baseline "$out/report.json" --out "$out/self.json" \
  | tee "$out/self.md"
grep -q 'Δm = 0.0000 %' "$out/self.md" || { echo "Δm against the same report is not 0" >&2; exit 1; }

status=0
tools/evaluate.sh --model "$bundle" --data "$out/missing" >/dev/null 2>"$out/error.txt" || status=$?
[[ $status -eq 1 ]] && grep -q '^error: .*dataset.json' "$out/error.txt" \
  || { echo "a missing data set should fail with status 1 and a message, got $status" >&2; exit 1; }
echo "evaluation CLI: OK"
