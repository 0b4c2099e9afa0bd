// Validates rendered Helm manifests: every document against the Kubernetes JSON schemas of
// kubernetes-models (ServiceMonitor against @kubernetes-models/prometheus-operator, Gateway API
// routes against @kubernetes-models/gateway-api, KServe's serving runtimes and InferenceServices
// against KServe's CRD schemas through kserve-schema.mjs), then the
// chart's own promises: named ports, health probes, non-root read-only pods, Services, HPA,
// ServiceMonitor and PodDisruptionBudget that select the server's pods, and referenced
// ConfigMaps, Secrets and claims that exist in the same render; for KServe, the runtime contract
// (kserve-container, its args, ports Knative accepts, OIP probes on the HTTP port, non-root and
// read-only, /tmp writable, metrics annotations) and InferenceServices that KServe would accept.
//   node validate-manifests.mjs <rendered.yaml>...
// Prints one line per check; exits 1 when any fails.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import yaml from "js-yaml";
import { kserveModel, kserveSchemaSource } from "./kserve-schema.mjs";

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

const KSERVE_GROUP = "serving.kserve.io";

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === KSERVE_GROUP) {
    return kserveModel(apiVersion, kind);
  }
  const pkg = CRD_PACKAGES[group] ?? "kubernetes-models";
  const path = group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`;
  const mod = await import(path);
  return mod[kind];
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

// KServe: the contract of the runtimes (KServe starts kserve-container with these args and fetches
// the bundle to /mnt/models; Knative accepts one port named http1 or h2c and a named probe port only
// when it is the serving port's name) and InferenceServices that KServe's webhook would accept.
const KSERVE_ARGS = ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080", "--grpc_port=9000"];
// Knative's queue-proxy ports (8012, 8013, 8022, 8112, 9090, 9091) and its profiling port
const KNATIVE_RESERVED_PORTS = new Set([8008, 8012, 8013, 8022, 8112, 9090, 9091]);
const KNATIVE_RESERVED_ENV = new Set(["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"]);
// the container securityContext fields Knative lets through (privileged only as false)
const KNATIVE_SECURITY_FIELDS = new Set(["capabilities", "readOnlyRootFilesystem", "runAsUser", "runAsGroup",
  "runAsNonRoot", "allowPrivilegeEscalation", "seccompProfile", "privileged"]);
const DEPLOYMENT_MODES = new Set(["Serverless", "RawDeployment", "Knative", "Standard"]);
let kserveSourceNoted = false;

function checkKserve(name, docs) {
  const runtimes = docs.filter((d) => d.kind === "ServingRuntime" || d.kind === "ClusterServingRuntime");
  const services = docs.filter((d) => d.kind === "InferenceService");
  if (!kserveSourceNoted && runtimes.length + services.length > 0) {
    const { source, celRules } = kserveSchemaSource("serving.kserve.io/v1beta1", "InferenceService");
    console.log(`NOTE KServe schemas: ${source.replace(/,? config\/crd.*$/, "")}${celRules ? `; ${celRules} CEL rules not evaluated` : ""}`);
    kserveSourceNoted = true;
  }
  const chartSelectors = docs.flatMap((d) => {
    if (d.kind === "Service") return [[`Service ${d.metadata.name}`, d.spec.selector]];
    if (d.kind === "PodDisruptionBudget") return [[`PodDisruptionBudget ${d.metadata.name}`, d.spec.selector?.matchLabels]];
    if (d.kind === "NetworkPolicy") return [[`NetworkPolicy ${d.metadata.name}`, d.spec.podSelector?.matchLabels]];
    if (d.kind === "Deployment") return [[`Deployment ${d.metadata.name}`, d.spec.selector?.matchLabels]];
    return [];
  });
  const httpPort = Number(KSERVE_ARGS[2].split("=")[1]);
  const grpcPort = Number(KSERVE_ARGS[3].split("=")[1]);
  const priorities = new Map();
  for (const rt of runtimes) {
    const what = `${name}: ${rt.kind}/${rt.metadata.name}`;
    const spec = rt.spec ?? {};
    const format = (spec.supportedModelFormats ?? []).find((f) => f.name === "sinewich" && f.version === "1");
    check(format?.autoSelect === true, `${what}: supports model format sinewich version "1" with autoSelect`);
    if (format?.priority !== undefined) {
      const key = `${rt.kind} ${format.priority}`;
      check(!priorities.has(key), `${what}: priority ${format.priority} differs from ${priorities.get(key)}'s (KServe refuses equal priorities)`);
      priorities.set(key, rt.metadata.name);
    }
    const runtimePorts = (spec.containers?.[0]?.ports ?? []).map((port) => port.name);
    const expected = [...(runtimePorts.includes("http1") ? ["v2"] : []), ...(runtimePorts.includes("h2c") ? ["grpc-v2"] : [])];
    check(expected.length > 0 && JSON.stringify(spec.protocolVersions) === JSON.stringify(expected),
      `${what}: protocolVersions ${expected.join(", ")}, the protocols of its ports ${runtimePorts.join(", ")}`);
    check(spec.multiModel === false, `${what}: multiModel false`);
    check(rt.kind !== "ClusterServingRuntime" || !rt.metadata.namespace, `${what}: cluster-scoped, no namespace`);
    check(rt.metadata.labels?.["app.kubernetes.io/component"] !== "server", `${what}: not labelled as the Deployment's server`);
    const annotations = spec.annotations ?? {};
    check(annotations["prometheus.kserve.io/path"] === "/q/metrics", `${what}: prometheus.kserve.io/path /q/metrics`);
    const metricsPort = annotations["prometheus.kserve.io/port"];
    check(/^\d+$/.test(metricsPort ?? "") && ![httpPort, grpcPort].includes(Number(metricsPort)),
      `${what}: prometheus.kserve.io/port ${metricsPort} is the management port`);
    const containers = spec.containers ?? [];
    check(containers.length === 1 && containers[0].name === "kserve-container", `${what}: one container, named kserve-container`);
    const c = containers.find((x) => x.name === "kserve-container");
    if (!c) continue;
    check(JSON.stringify(c.args) === JSON.stringify(KSERVE_ARGS), `${what}: args exactly ${KSERVE_ARGS.join(" ")} (got ${JSON.stringify(c.args)})`);
    check(!JSON.stringify({ ...c, args: (c.args ?? []).slice(1) }).includes("{{"),
      `${what}: no {{ outside --model_name (KServe runs the container through Go's text/template)`);
    const ports = c.ports ?? [];
    const portNames = ports.map((p) => p.name);
    check(["http1", "h2c", "http1,h2c"].includes(portNames.join(",")), `${what}: ports http1, h2c or http1 then h2c (${portNames.join(",")})`);
    for (const p of ports) {
      check(p.containerPort === (p.name === "h2c" ? grpcPort : httpPort), `${what}: port ${p.name} is ${p.name === "h2c" ? grpcPort : httpPort}`);
      check(!KNATIVE_RESERVED_PORTS.has(p.containerPort), `${what}: port ${p.containerPort} is not one Knative reserves`);
      check((p.protocol ?? "TCP") === "TCP", `${what}: port ${p.name} over TCP`);
    }
    if (ports.length > 1) {
      console.log(`NOTE ${what}: ${ports.length} ports: RawDeployment only (Knative allows one)`);
    }
    const probes = { readinessProbe: "/v2/health/ready", livenessProbe: "/v2/health/live", startupProbe: "/v2/health/ready" };
    for (const [probe, path] of Object.entries(probes)) {
      if (probe === "startupProbe" && !c.startupProbe) continue;
      check(c[probe]?.httpGet?.path === path && c[probe]?.httpGet?.port === httpPort,
        `${what}: ${probe} on ${path} at the HTTP port ${httpPort}, a number (Knative accepts a named one only for the serving port)`);
    }
    const sc = c.securityContext ?? {};
    check(sc.runAsNonRoot === true, `${what}: runAsNonRoot`);
    check(sc.runAsUser === undefined || sc.runAsUser > 0, `${what}: runAsUser not root`);
    check(sc.readOnlyRootFilesystem === true, `${what}: read-only root filesystem`);
    check(sc.allowPrivilegeEscalation === false, `${what}: no privilege escalation`);
    check((sc.capabilities?.drop ?? []).includes("ALL") && !(sc.capabilities?.add ?? []).length, `${what}: capabilities dropped`);
    check(Object.keys(sc).every((k) => KNATIVE_SECURITY_FIELDS.has(k)) && sc.privileged !== true,
      `${what}: securityContext holds only fields Knative accepts (${Object.keys(sc).join(", ")})`);
    check(!c.lifecycle, `${what}: no lifecycle hooks (Knative refuses them)`);
    const tmpMount = (c.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
    const tmpVolume = tmpMount && (spec.volumes ?? []).find((v) => v.name === tmpMount.name);
    check(tmpVolume?.emptyDir && !tmpMount.readOnly, `${what}: /tmp is a writable emptyDir`);
    if (tmpVolume?.emptyDir && tmpVolume.emptyDir.medium !== "Memory") {
      check(c.resources?.requests?.["ephemeral-storage"], `${what}: ephemeral-storage requested for /tmp`);
    }
    const env = c.env ?? [];
    const envNames = env.map((e) => e.name);
    check(new Set(envNames).size === envNames.length, `${what}: env names unique`);
    check(!envNames.some((n) => KNATIVE_RESERVED_ENV.has(n)), `${what}: no env Knative reserves (PORT, K_*)`);
    check(!c.envFrom, `${what}: settings inline, no envFrom`);
    for (const e of env) {
      const source = Object.keys(e.valueFrom ?? {});
      check(source.every((k) => k === "resourceFieldRef" || (rt.kind === "ServingRuntime" && (k === "configMapKeyRef" || k === "secretKeyRef"))),
        `${what}: env ${e.name} references nothing namespaced${rt.kind === "ClusterServingRuntime" ? " (a ClusterServingRuntime serves every namespace)" : ""}`);
    }
    const cpus = env.find((e) => e.name === "SINEWICH_CPUS");
    const cpusRef = cpus?.valueFrom?.resourceFieldRef;
    check((cpusRef?.resource === "requests.cpu" && cpusRef.containerName === "kserve-container") || /^[1-9]\d*$/.test(cpus?.value ?? ""),
      `${what}: SINEWICH_CPUS from the container's CPU request (downward API) or its whole cores`);
    const envValue = (n) => env.find((e) => e.name === n)?.value;
    check(envValue("QUARKUS_MANAGEMENT_PORT") === metricsPort, `${what}: QUARKUS_MANAGEMENT_PORT is prometheus.kserve.io/port`);
    check(!envNames.some((n) => ["QUARKUS_HTTP_PORT", "QUARKUS_GRPC_SERVER_PORT", "SINEWICH_MODEL_PATH"].includes(n)),
      `${what}: ports and model path come from the args only`);
    const gpuLimit = Object.keys(c.resources?.limits ?? {}).find((k) => k.endsWith("/gpu"));
    if (gpuLimit) {
      check(Number(c.resources.limits[gpuLimit]) >= 1, `${what}: GPU limit ${gpuLimit}`);
      check(/-cuda"?$|@sha256:[0-9a-f]{64}$/.test(c.image), `${what}: the CUDA image (${c.image})`);
      check(envValue("SINEWICH_MODEL_DEVICE") === "gpu", `${what}: SINEWICH_MODEL_DEVICE gpu`);
    } else {
      check(!/-cuda$/.test(c.image) && envValue("SINEWICH_MODEL_DEVICE") !== "gpu", `${what}: a CPU runtime runs the CPU image on the CPU`);
    }
  }
  for (const isvc of services) {
    const what = `${name}: InferenceService/${isvc.metadata.name}`;
    check(/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(isvc.metadata.name) && isvc.metadata.name.length <= 47,
      `${what}: name starts with a letter and has at most 47 characters (revision <name>-predictor-00001)`);
    const labels = isvc.metadata.labels ?? {};
    for (const [owner, selector] of chartSelectors) {
      check(!selector || !matches(selector, labels), `${what}: its pods are not selected by the chart's ${owner}`);
    }
    const ann = isvc.metadata.annotations ?? {};
    const mode = ann["serving.kserve.io/deploymentMode"];
    check(DEPLOYMENT_MODES.has(mode), `${what}: serving.kserve.io/deploymentMode ${mode}`);
    check(["true", "false"].includes(ann["serving.kserve.io/enable-prometheus-scraping"]),
      `${what}: serving.kserve.io/enable-prometheus-scraping set`);
    const knative = mode === "Serverless" || mode === "Knative";
    if (!knative) {
      // no queue-proxy: KServe's scraping annotations would point at ports nothing listens on
      check(ann["serving.kserve.io/enable-prometheus-scraping"] === "false"
        && (ann["serving.kserve.io/enable-metric-aggregation"] ?? "false") === "false",
        `${what}: ${mode}: KServe's queue-proxy metrics annotations off`);
      check(ann["prometheus.io/scrape"] !== "true" || (ann["prometheus.io/path"] === "/q/metrics"
        && /^\d+$/.test(ann["prometheus.io/port"] ?? "") && ![httpPort, grpcPort].includes(Number(ann["prometheus.io/port"]))),
        `${what}: ${mode}: pods annotated for the server's own /q/metrics on the management port`);
    }
    const p = isvc.spec?.predictor ?? {};
    const m = p.model ?? {};
    check(m.modelFormat?.name === "sinewich" && (m.modelFormat.version ?? "1") === "1", `${what}: model format sinewich, version 1`);
    check(/^[a-z][a-z0-9+.-]*:\/\/.+/.test(m.storageUri ?? ""), `${what}: storageUri ${m.storageUri}`);
    const rt = runtimes.find((r) => r.metadata.name === m.runtime);
    if (rt) {
      const ports = rt.spec.containers?.[0]?.ports ?? [];
      check((rt.spec.protocolVersions ?? []).includes(m.protocolVersion ?? "v1"), `${what}: ${m.runtime} speaks ${m.protocolVersion}`);
      check(ports.some((port) => port.name === (m.protocolVersion === "grpc-v2" ? "h2c" : "http1")),
        `${what}: ${m.runtime} serves ${m.protocolVersion} on its port`);
      check(!knative || ports.length === 1, `${what}: ${mode} needs a runtime with one port`);
    } else {
      console.log(`NOTE ${what}: runtime ${m.runtime} is not in this render`);
    }
    const hpa = ann["serving.kserve.io/autoscalerClass"] === "hpa";
    const min = p.minReplicas ?? 1;
    check(p.maxReplicas === undefined || p.maxReplicas === 0 || min <= p.maxReplicas, `${what}: minReplicas <= maxReplicas`);
    if (hpa) {
      check(["cpu", "memory"].includes(p.scaleMetric), `${what}: hpa scales on cpu or memory (${p.scaleMetric})`);
      check(min >= 1, `${what}: hpa keeps at least one pod`);
      check(p.scaleMetric !== "cpu" || (p.scaleTarget >= 1 && p.scaleTarget <= 100), `${what}: hpa CPU target within 1-100 %`);
      check(!knative || ann["autoscaling.knative.dev/class"] === "hpa.autoscaling.knative.dev",
        `${what}: Serverless hpa names Knative's HPA class (autoscaling.knative.dev/class)`);
    } else {
      check(knative, `${what}: KPA autoscaling needs Serverless (Knative)`);
      check(["concurrency", "rps"].includes(p.scaleMetric ?? "concurrency"), `${what}: kpa scales on concurrency or rps (${p.scaleMetric})`);
    }
    if (p.canaryTrafficPercent !== undefined) {
      check(p.canaryTrafficPercent >= 0 && p.canaryTrafficPercent <= 100, `${what}: canaryTrafficPercent within 0-100`);
    }
  }
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

  checkKserve(name, docs);

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
