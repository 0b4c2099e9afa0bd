// Prints, as JSON, the kserve-container of the chart's CPU serving runtime the way KServe would
// start it for an InferenceService: {image, args, env, ports, readinessProbe, livenessProbe,
// securityContext, resources}, with {{.Name}} (which KServe fills with the model's name) replaced by <model
// name> in args and env values. Env entries that take their value from the downward API (valueFrom)
// are printed as {name, valueFrom}; the others as {name, value}. For a test that runs the CPU image
// as KServe would (args, env, read-only root, /tmp writable, probes on the HTTP port).
//   helm template sinewich helm/sinewich-serve -f helm/sinewich-serve/ci/kserve-values.yaml > kserve.yaml
//   node .ci/deploy/kserve-container.mjs kserve.yaml sinewich-default
// (with js-yaml installed: target/ci-tools/deploy-node after .ci/deploy/run.sh). The CPU runtime is
// the ServingRuntime or ClusterServingRuntime whose container has no GPU limit (<fullname>-cpu).
// Exits 1 when the file holds no CPU runtime.
import { readFileSync } from "node:fs";
import yaml from "js-yaml";

const [file, modelName] = process.argv.slice(2);
if (!file || !modelName) {
  console.error("usage: node kserve-container.mjs <rendered.yaml> <model name>");
  process.exit(2);
}
const docs = yaml.loadAll(readFileSync(file, "utf8")).filter((d) => d);
const containerOf = (runtime) => (runtime.spec?.containers ?? []).find((c) => c.name === "kserve-container");
const hasGpu = (c) => Object.keys(c?.resources?.limits ?? {}).some((k) => k.endsWith("/gpu"));
const runtime = docs.find((d) => (d.kind === "ServingRuntime" || d.kind === "ClusterServingRuntime")
  && d.apiVersion?.startsWith("serving.kserve.io/") && containerOf(d) && !hasGpu(containerOf(d)));
if (!runtime) {
  console.error(`kserve-container: ${file} holds no CPU ServingRuntime or ClusterServingRuntime`);
  process.exit(1);
}
const c = containerOf(runtime);
// KServe executes the container as a Go template over the predictor's metadata; {{.Name}} is the
// only placeholder the chart uses.
const fill = (s) => String(s).replaceAll("{{.Name}}", modelName);
const out = {
  image: c.image,
  args: (c.args ?? []).map(fill),
  env: (c.env ?? []).map((e) => (e.valueFrom ? { name: e.name, valueFrom: e.valueFrom } : { name: e.name, value: fill(e.value ?? "") })),
  ports: c.ports ?? [],
  readinessProbe: c.readinessProbe ?? null,
  livenessProbe: c.livenessProbe ?? null,
  securityContext: c.securityContext ?? null,
  resources: c.resources ?? null,
};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
