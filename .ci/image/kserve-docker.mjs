// Turns the CPU ServingRuntime's kserve-container, as .ci/deploy/kserve-container.mjs prints it,
// into what `docker run` needs to start the image the way KServe starts it:
//   node kserve-docker.mjs CONTAINER_JSON options   docker options, NUL-separated: -e NAME=value per
//                                                   plain env entry, --user UID:GID, --read-only
//   node kserve-docker.mjs CONTAINER_JSON args      the container's args, NUL-separated
//   node kserve-docker.mjs CONTAINER_JSON probe readinessProbe|livenessProbe
//                                                   PORT PATH of that HTTP probe
// Env entries from the downward API's CPU request or limit (resourceFieldRef requests.cpu /
// limits.cpu) get the value the kubelet would give: the cores rounded up to whole divisors; any
// other valueFrom cannot be emulated here and fails.
import { readFileSync } from "node:fs";

const [file, mode, which] = process.argv.slice(2);
const c = JSON.parse(readFileSync(file, "utf8"));
const out = [];
if (mode === "options") {
  for (const e of c.env ?? []) {
    if (e.valueFrom !== undefined) {
      const ref = e.valueFrom.resourceFieldRef;
      const quantity = ref && { "requests.cpu": c.resources?.requests?.cpu, "limits.cpu": c.resources?.limits?.cpu }[ref.resource];
      if (quantity === undefined) {
        console.error(`kserve-docker: env ${e.name} comes from ${JSON.stringify(e.valueFrom)}, which this cannot emulate`);
        process.exit(1);
      }
      const cores = (q) => (String(q).endsWith("m") ? Number(String(q).slice(0, -1)) / 1000 : Number(q));
      out.push("-e", `${e.name}=${Math.ceil(cores(quantity) / cores(ref.divisor ?? "1"))}`);
    } else {
      out.push("-e", `${e.name}=${e.value ?? ""}`);
    }
  }
  const sc = c.securityContext ?? {};
  if (sc.runAsUser !== undefined) out.push("--user", `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  if (sc.readOnlyRootFilesystem) out.push("--read-only");
} else if (mode === "args") {
  out.push(...(c.args ?? []));
} else if (mode === "probe") {
  const get = c[which]?.httpGet;
  if (!get) { console.error(`kserve-docker: no HTTP ${which}`); process.exit(1); }
  const port = typeof get.port === "number" ? get.port
    : (c.ports ?? []).find((p) => p.name === get.port)?.containerPort;
  if (port === undefined) { console.error(`kserve-docker: ${which} port ${get.port} is not a container port`); process.exit(1); }
  process.stdout.write(`${port} ${get.path}\n`);
  process.exit(0);
} else {
  console.error("usage: node kserve-docker.mjs CONTAINER_JSON options|args|probe NAME");
  process.exit(2);
}
process.stdout.write(out.map((s) => `${s}\0`).join(""));
