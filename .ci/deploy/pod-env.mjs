// Prints the environment the server container of a rendered chart gets: its ConfigMap (envFrom)
// and its env entries, Secret references resolved from the same render and CPU fields of the
// downward API from the container's resources. NUL-separated KEY=VALUE
// pairs, for the start-command test to run the server exactly as configured by the chart.
//   node pod-env.mjs <rendered.yaml>
import { readFileSync } from "node:fs";
import yaml from "js-yaml";

const docs = yaml.loadAll(readFileSync(process.argv[2], "utf8")).filter((d) => d);
const find = (kind, name) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const server = docs.find((d) => d.kind === "Deployment").spec.template.spec.containers
  .find((c) => c.name === "server");
const env = {};
for (const from of server.envFrom ?? []) {
  Object.assign(env, find("ConfigMap", from.configMapRef.name).data);
}
for (const e of server.env ?? []) {
  const ref = e.valueFrom?.secretKeyRef;
  if (ref) {
    const secret = find("Secret", ref.name);
    if (!secret) throw new Error(`Secret ${ref.name} is not in the render`);
    env[e.name] = secret.stringData?.[ref.key] ?? Buffer.from(secret.data[ref.key], "base64").toString();
  } else if (e.valueFrom?.resourceFieldRef) {
    // the downward API: a CPU quantity in whole units of the divisor, rounded up, as the kubelet gives it
    const field = e.valueFrom.resourceFieldRef;
    const [kind, resource] = field.resource.split(".");
    const quantity = String(server.resources?.[kind]?.[resource] ?? "0");
    const cores = quantity.endsWith("m") ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
    if (resource !== "cpu" || Number.isNaN(cores)) throw new Error(`cannot resolve ${field.resource}=${quantity}`);
    env[e.name] = String(Math.ceil(cores / Number(field.divisor ?? 1)));
  } else {
    env[e.name] = e.value;
  }
}
process.stdout.write(Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join(""));
