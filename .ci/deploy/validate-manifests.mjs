// Validates rendered Helm manifests: every document against the Kubernetes JSON schemas of
// kubernetes-models (ServiceMonitor against @kubernetes-models/prometheus-operator, Gateway API
// routes against @kubernetes-models/gateway-api), then the
// chart's own promises: named ports, health probes, non-root read-only pods, Services, HPA,
// ServiceMonitor and PodDisruptionBudget that select the server's pods, and referenced
// ConfigMaps, Secrets and claims that exist in the same render.
//   node validate-manifests.mjs <rendered.yaml>...
// Prints one line per check; exits 1 when any fails.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import yaml from "js-yaml";

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}

const CRD_PACKAGES = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
};

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const pkg = CRD_PACKAGES[group] ?? "kubernetes-models";
  const path = group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`;
  const mod = await import(path);
  return mod[kind];
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

async function validateFile(file) {
  const docs = yaml.loadAll(readFileSync(file, "utf8")).filter((d) => d);
  const name = basename(file);
  const byKind = (kind) => docs.filter((d) => d.kind === kind);
  for (const doc of docs) {
    const what = `${name}: ${doc.kind}/${doc.metadata?.name}`;
    let Model;
    try {
      Model = await modelFor(doc.apiVersion, doc.kind);
    } catch (e) {
      console.log(`NOTE ${what}: no schema for ${doc.apiVersion} ${doc.kind}; apiVersion and kind only`);
      check(typeof doc.apiVersion === "string" && typeof doc.kind === "string", `${what} apiVersion/kind`);
      continue;
    }
    try {
      new Model(doc).validate();
      check(true, what);
    } catch (e) {
      check(false, `${what} schema: ${e.message}`);
    }
    const resourceName = doc.metadata?.name ?? "";
    check(resourceName.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(resourceName),
      `${what}: name is a DNS label of at most 63 characters (${resourceName.length})`);
    const labels = doc.metadata?.labels ?? {};
    for (const [key, value] of Object.entries(labels)) {
      check(String(value).length <= 63, `${what}: label ${key} value within 63 characters`);
    }
    for (const key of ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
      "app.kubernetes.io/managed-by", "helm.sh/chart"]) {
      check(key in labels, `${what} has label ${key}`);
    }
  }

  const deployments = byKind("Deployment");
  check(deployments.length === 1, `${name}: one Deployment`);
  const dep = deployments[0];
  if (!dep) return;
  const podLabels = dep.spec.template.metadata.labels;
  const pod = dep.spec.template.spec;
  const server = pod.containers.find((c) => c.name === "server");
  check(server, `${name}: a container named server`);
  if (!server) return;
  check(matches(dep.spec.selector.matchLabels, podLabels), `${name}: the Deployment's selector matches its pods`);
  const portNames = new Set((server.ports ?? []).map((p) => p.name));
  check(portNames.has("http") && portNames.has("grpc") && portNames.has("management"),
    `${name}: named ports http, grpc and management`);
  const probes = { startupProbe: "/q/health/started", readinessProbe: "/q/health/ready", livenessProbe: "/q/health/live" };
  for (const [probe, path] of Object.entries(probes)) {
    check(server[probe]?.httpGet?.path === path && server[probe]?.httpGet?.port === "management",
      `${name}: ${probe} on ${path} at port management`);
  }
  const budget = server.startupProbe.periodSeconds * server.startupProbe.failureThreshold;
  check(budget >= 120, `${name}: start-up budget ${budget} s covers model load (>= 120 s)`);
  check(pod.securityContext?.runAsNonRoot === true, `${name}: runAsNonRoot`);
  check(server.securityContext?.readOnlyRootFilesystem === true, `${name}: read-only root filesystem`);
  check(server.securityContext?.allowPrivilegeEscalation === false, `${name}: no privilege escalation`);
  const tmpMount = (server.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
  const tmpVolume = tmpMount && pod.volumes.find((v) => v.name === tmpMount.name);
  check(tmpVolume?.emptyDir, `${name}: /tmp is an emptyDir`);
  const wantsGpu = Object.keys(server.resources?.limits ?? {}).some((k) => k.endsWith("/gpu"));
  const rolling = dep.spec.strategy?.rollingUpdate ?? {};
  if (wantsGpu) {
    check(rolling.maxSurge === 0 && rolling.maxUnavailable === 1,
      `${name}: GPU pods roll without a spare GPU (maxSurge 0, maxUnavailable 1)`);
  } else {
    check(rolling.maxUnavailable === 0, `${name}: rolling update with maxUnavailable 0`);
  }
  check(pod.nodeSelector?.["kubernetes.io/arch"] === "amd64", `${name}: pods on amd64 nodes (x86-64 images)`);
  const cpus = (server.env ?? []).find((e) => e.name === "SINEWICH_CPUS");
  check(cpus?.valueFrom?.resourceFieldRef?.resource === "requests.cpu",
    `${name}: SINEWICH_CPUS from the container's CPU request (downward API)`);
  const diskDirs = (pod.volumes ?? []).filter((v) => v.emptyDir && v.emptyDir.medium !== "Memory");
  if (diskDirs.length > 0) {
    check(server.resources?.requests?.["ephemeral-storage"], `${name}: ephemeral-storage requested for the emptyDirs`);
  }
  check(/^[0-9a-f]{64}$/.test(dep.spec.template.metadata.annotations?.["checksum/config"] ?? ""),
    `${name}: checksum/config annotation`);
  const modelMount = (server.volumeMounts ?? []).find((m) => m.name === "model");
  if (modelMount) {
    check(modelMount.readOnly === true, `${name}: the server mounts the model read-only`);
  }
  const grace = pod.terminationGracePeriodSeconds;
  const configMaps = new Map(byKind("ConfigMap").map((c) => [c.metadata.name, c]));
  for (const from of server.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = configMaps.get(from.configMapRef.name);
      check(cm, `${name}: envFrom ConfigMap ${from.configMapRef.name} is rendered`);
      const timeout = cm?.data?.SINEWICH_INFERENCE_TIMEOUT;
      const seconds = timeout && /^(\d+)s$/.test(timeout) ? Number(timeout.slice(0, -1))
        : timeout && /^(\d+)m$/.test(timeout) ? 60 * Number(timeout.slice(0, -1)) : null;
      if (seconds !== null) {
        const preStop = Number(server.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
        check(grace >= seconds + preStop + 2,
          `${name}: termination grace ${grace} s covers pre-stop ${preStop} s + inference timeout ${timeout} + 2 s`);
      }
    }
  }
  const secrets = new Set(byKind("Secret").map((s) => s.metadata.name));
  for (const env of server.env ?? []) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref) {
      const secret = byKind("Secret").find((s) => s.metadata.name === ref.name);
      if (secret) {
        check(ref.key in (secret.stringData ?? secret.data ?? {}), `${name}: Secret ${ref.name} has key ${ref.key}`);
      } else {
        console.log(`NOTE ${name}: ${env.name} reads the existing Secret ${ref.name}`);
        check(!secrets.has(ref.name), `${name}: existing Secret ${ref.name} not rendered`);
      }
    }
  }
  for (const pvc of byKind("PersistentVolumeClaim")) {
    const source = pvc.spec.dataSource;
    if (source) {
      check(source.kind && source.name, `${name}: claim ${pvc.metadata.name} clones ${source.kind}/${source.name}`);
    }
  }
  if (/@sha256:[0-9a-f]{64}"?$/.test(server.image)) {
    check(!/:[^/@]+@/.test(server.image), `${name}: an image pinned by digest carries no tag (${server.image})`);
  }
  for (const volume of pod.volumes ?? []) {
    const claim = volume.persistentVolumeClaim?.claimName;
    if (claim && byKind("PersistentVolumeClaim").length > 0) {
      check(byKind("PersistentVolumeClaim").some((p) => p.metadata.name === claim), `${name}: claim ${claim} is rendered`);
    }
  }

  const services = byKind("Service");
  check(services.some((s) => s.spec.ports.some((p) => p.name === "http")), `${name}: a Service for HTTP`);
  check(services.some((s) => s.spec.ports.some((p) => p.name === "grpc")), `${name}: a Service for gRPC`);
  for (const svc of services) {
    check(matches(svc.spec.selector, podLabels), `${name}: Service ${svc.metadata.name} selects the pods`);
    for (const port of svc.spec.ports) {
      check(typeof port.targetPort !== "string" || portNames.has(port.targetPort),
        `${name}: Service ${svc.metadata.name} targets a named container port (${port.targetPort})`);
    }
  }
  const hpas = byKind("HorizontalPodAutoscaler");
  for (const hpa of hpas) {
    check(hpa.spec.scaleTargetRef.kind === "Deployment" && hpa.spec.scaleTargetRef.name === dep.metadata.name,
      `${name}: HPA targets the Deployment`);
    check(dep.spec.replicas === undefined, `${name}: the Deployment leaves replicas to the HPA`);
    for (const metric of hpa.spec.metrics) {
      if (metric.type === "Pods") {
        check(/^sinewich_/.test(metric.pods.metric.name), `${name}: HPA Pods metric ${metric.pods.metric.name}`);
      }
    }
  }
  for (const sm of byKind("ServiceMonitor")) {
    const target = services.find((s) => matches(sm.spec.selector.matchLabels, s.metadata.labels));
    check(target, `${name}: ServiceMonitor selects a Service`);
    for (const ep of sm.spec.endpoints) {
      check(ep.path === "/q/metrics" && ep.port === "management", `${name}: ServiceMonitor scrapes /q/metrics on the management port`);
      check(target?.spec.ports.some((p) => p.name === ep.port), `${name}: ServiceMonitor port ${ep.port} exists`);
    }
  }
  for (const pdb of byKind("PodDisruptionBudget")) {
    check(matches(pdb.spec.selector.matchLabels, podLabels), `${name}: PodDisruptionBudget selects the pods`);
  }
  for (const np of byKind("NetworkPolicy")) {
    check(matches(np.spec.podSelector.matchLabels, podLabels), `${name}: NetworkPolicy selects the pods`);
    for (const rule of np.spec.ingress ?? []) {
      for (const port of rule.ports ?? []) {
        check(typeof port.port !== "string" || portNames.has(port.port), `${name}: NetworkPolicy port ${port.port} is a container port`);
      }
    }
    const allowed = new Set((np.spec.ingress ?? []).flatMap((r) => (r.ports ?? []).map((p) => p.port)));
    check(allowed.has("http") && allowed.has("grpc"), `${name}: NetworkPolicy lets clients reach HTTP and gRPC`);
    const clientRule = (np.spec.ingress ?? []).find((r) => (r.ports ?? []).some((p) => p.port === "http"));
    check(!(clientRule?.ports ?? []).some((p) => p.port === "management"), `${name}: NetworkPolicy keeps clients off the management port`);
  }
  for (const svc of services) {
    const exposesManagement = svc.spec.ports.some((p) => p.targetPort === "management");
    check(!exposesManagement || svc.spec.ports.length === 1,
      `${name}: Service ${svc.metadata.name} keeps the management port apart from the API ports`);
  }
  const servicePort = (svcName, port) => services.some((s) => s.metadata.name === svcName
    && s.spec.ports.some((p) => p.name === port || p.port === port));
  for (const ing of byKind("Ingress")) {
    for (const rule of ing.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const b = path.backend.service;
        check(servicePort(b.name, b.port.name ?? b.port.number), `${name}: Ingress backend ${b.name}:${b.port.name ?? b.port.number} is a rendered Service port`);
      }
    }
  }
  for (const route of [...byKind("HTTPRoute"), ...byKind("GRPCRoute")]) {
    check((route.spec.parentRefs ?? []).length > 0, `${name}: ${route.kind} attaches to a Gateway`);
    for (const rule of route.spec.rules ?? []) {
      for (const ref of rule.backendRefs ?? []) {
        check(servicePort(ref.name, ref.port), `${name}: ${route.kind} backend ${ref.name}:${ref.port} is a rendered Service port`);
      }
    }
    if (route.kind === "GRPCRoute") {
      const target = services.find((s) => s.metadata.name === route.spec.rules[0].backendRefs[0].name);
      check(target?.spec.ports.some((p) => p.name === "grpc"), `${name}: GRPCRoute goes to the gRPC Service`);
    }
  }
  const gpuLimit = Object.keys(server.resources?.limits ?? {}).find((k) => k.endsWith("/gpu"));
  if (gpuLimit) {
    check(Number(server.resources.limits[gpuLimit]) >= 1, `${name}: GPU limit ${gpuLimit}`);
  }
  console.log(`${name}: ${docs.length} documents (${[...new Set(docs.map((d) => d.kind))].join(", ")})`);
}

for (const file of process.argv.slice(2)) {
  await validateFile(file);
}
console.log(`manifests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
