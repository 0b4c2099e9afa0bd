// Extracts the openAPIV3Schema of KServe's ServingRuntime, ClusterServingRuntime (v1alpha1) and
// InferenceService (v1beta1) CRDs from a KServe git repository, strips the description fields and
// writes them as JSON for kserve-schema.mjs (the files in .ci/deploy/kserve/ were made with it):
//   node kserve-schemas.mjs <kserve git dir> <out dir> [<revision, default HEAD>]
// e.g. from target/ci-tools/deploy-node (where js-yaml is installed) with a bare clone:
//   node kserve-schemas.mjs /path/to/kserve.git "$repo/.ci/deploy/kserve" v0.20.0
// Prints the KServe commit, its nearest tag and the version of python/kserve/pyproject.toml, for
// kserve/README.md.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";

const [gitDir, outDir, revision = "HEAD"] = process.argv.slice(2);
if (!gitDir || !outDir) {
  console.error("usage: node kserve-schemas.mjs <kserve git dir> <out dir> [<revision>]");
  process.exit(2);
}
const git = (...args) => execFileSync("git", [`--git-dir=${gitDir}`, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });

const commit = git("rev-parse", `${revision}^{commit}`).trim();
const described = git("describe", "--tags", commit).trim();
const pyproject = git("show", `${commit}:python/kserve/pyproject.toml`);
const version = /^version\s*=\s*"([^"]+)"/m.exec(pyproject)?.[1] ?? "unknown";

const CRDS = [
  { file: "serving.kserve.io_servingruntimes.yaml", kind: "ServingRuntime", version: "v1alpha1" },
  { file: "serving.kserve.io_clusterservingruntimes.yaml", kind: "ClusterServingRuntime", version: "v1alpha1" },
  { file: "serving.kserve.io_inferenceservices.yaml", kind: "InferenceService", version: "v1beta1" },
];

// Drops the description of every schema node; a property that is itself named "description"
// (a key of "properties") is kept.
function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (!node || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "description" && typeof value === "string") continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, strip(schema)]));
    } else if (["items", "additionalProperties", "not"].includes(key) && typeof value === "object") {
      out[key] = strip(value);
    } else if (["allOf", "anyOf", "oneOf"].includes(key)) {
      out[key] = value.map(strip);
    } else {
      out[key] = value; // default, enum, example, x-kubernetes-* values: data, not schemas
    }
  }
  return out;
}

mkdirSync(outDir, { recursive: true });
for (const { file, kind, version: apiVersion } of CRDS) {
  const path = `config/crd/full/${file}`;
  const crd = yaml.load(git("show", `${commit}:${path}`));
  if (crd.spec.names.kind !== kind) throw new Error(`${path}: kind ${crd.spec.names.kind}, expected ${kind}`);
  const served = crd.spec.versions.find((v) => v.name === apiVersion);
  if (!served) throw new Error(`${path}: no version ${apiVersion}`);
  const schema = {
    $comment: `KServe ${version} (${described}, commit ${commit}), ${path}: openAPIV3Schema of `
      + `${kind} ${apiVersion} (${crd.spec.scope}), descriptions stripped. Apache License 2.0.`,
    ...strip(served.schema.openAPIV3Schema),
  };
  const target = join(outDir, `${kind.toLowerCase()}.${apiVersion}.json`);
  writeFileSync(target, JSON.stringify(schema) + "\n");
  console.log(`${target}: ${kind} ${apiVersion} from ${path}`);
}
console.log(`KServe ${version}, ${described}, commit ${commit}`);
