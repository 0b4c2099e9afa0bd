{{/* The chart name, or nameOverride. */}}
{{- define "sinewich-serve.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: fullnameOverride, or release-chart (the release alone when it already holds the chart name). */}}
{{- define "sinewich-serve.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "sinewich-serve.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "sinewich-serve.labels" -}}
helm.sh/chart: {{ include "sinewich-serve.chart" . }}
{{ include "sinewich-serve.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sinewich-serve
{{- end }}

{{/* Labels that select the server's pods. */}}
{{- define "sinewich-serve.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sinewich-serve.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "sinewich-serve.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sinewich-serve.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* A resource name: the full name cut so that name and suffix together stay within 63 characters. Call with (list . "-suffix"). */}}
{{- define "sinewich-serve.resourceName" -}}
{{- $ctx := index . 0 }}
{{- $suffix := index . 1 }}
{{- $base := include "sinewich-serve.fullname" $ctx | trunc (int (sub 63 (len $suffix))) | trimSuffix "-" }}
{{- printf "%s%s" $base $suffix }}
{{- end }}

{{/* The server image: repository@digest when image.digest is set (tag and suffix are then ignored), else repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "sinewich-serve.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- printf "%s:%s%s" .Values.image.repository $tag .Values.image.tagSuffix }}
{{- end }}
{{- end }}

{{/* A duration value ("500ms", "60s", "10m", "1h") in whole seconds, rounded up. */}}
{{- define "sinewich-serve.seconds" -}}
{{- $d := toString . }}
{{- $n := regexFind "^[0-9]+" $d | int }}
{{- if hasSuffix "ms" $d }}{{ div (add $n 999) 1000 }}
{{- else if hasSuffix "h" $d }}{{ mul $n 3600 }}
{{- else if hasSuffix "m" $d }}{{ mul $n 60 }}
{{- else }}{{ $n }}
{{- end }}
{{- end }}

{{/* The Secret holding the API and admin keys. */}}
{{- define "sinewich-serve.secretName" -}}
{{- default (include "sinewich-serve.resourceName" (list . "-keys")) .Values.auth.existingSecret }}
{{- end }}

{{/* Whether the chart makes the keys Secret. */}}
{{- define "sinewich-serve.createSecret" -}}
{{- if and (or .Values.auth.enabled .Values.auth.admin.enabled) (not .Values.auth.existingSecret) }}true{{- end }}
{{- end }}

{{/* The claim holding the bundle (model.source pvc). */}}
{{- define "sinewich-serve.claimName" -}}
{{- default (include "sinewich-serve.resourceName" (list . "-model")) .Values.model.persistence.existingClaim }}
{{- end }}

{{/* SINEWICH_MODEL_PATH for model.source image or pvc. */}}
{{- define "sinewich-serve.modelPath" -}}
{{- if .Values.model.subPath }}
{{- printf "%s/%s" (trimSuffix "/" .Values.model.mountPath) (trimPrefix "/" .Values.model.subPath) }}
{{- else }}
{{- .Values.model.mountPath }}
{{- end }}
{{- end }}

{{/* Refuses value combinations that would deploy a server that cannot start. */}}
{{- define "sinewich-serve.validate" -}}
{{- if not (has .Values.model.source (list "embedded" "image" "pvc")) }}
{{- fail (printf "model.source must be embedded, image or pvc, not %q" .Values.model.source) }}
{{- end }}
{{- if and (eq .Values.model.source "image") (or (not .Values.model.image.repository) (not .Values.model.image.tag)) }}
{{- fail "model.source image needs model.image.repository and a pinned model.image.tag" }}
{{- end }}
{{- if and .Values.auth.enabled (not .Values.auth.existingSecret) (not .Values.auth.apiKeys) }}
{{- fail "auth.enabled needs auth.apiKeys or auth.existingSecret" }}
{{- end }}
{{- if and .Values.auth.admin.enabled (not .Values.auth.existingSecret) (not .Values.auth.admin.keys) }}
{{- fail "auth.admin.enabled needs auth.admin.keys or auth.existingSecret" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/* A Kubernetes quantity of bytes ("512Mi", "2Gi", "1G", "100M", "1024") as a whole number of bytes. */}}
{{- define "sinewich-serve.bytes" -}}
{{- $q := toString . }}
{{- $n := regexFind "^[0-9]+" $q | int64 }}
{{- $unit := trimPrefix (toString $n) $q }}
{{- $factors := dict "" 1 "k" 1000 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- if not (hasKey $factors $unit) }}
{{- fail (printf "%q is not a whole quantity of bytes (use e.g. 512Mi or 2Gi)" $q) }}
{{- end }}
{{- mul $n (get $factors $unit) }}
{{- end }}

{{/* The server settings of a config block (.Values.config, or a KServe runtime's copy of it with its
overrides) as KEY: "value" lines: the ConfigMap's data and the KServe runtimes' env. Call with
(dict "config" $config "root" $). */}}
{{- define "sinewich-serve.settings" -}}
{{- $c := .config -}}
SINEWICH_MODEL_DEVICE: {{ $c.model.device | quote }}
SINEWICH_MODEL_ENGINE: {{ $c.model.engine | quote }}
SINEWICH_INFERENCE_WORKERS: {{ $c.inference.workers | quote }}
SINEWICH_INFERENCE_QUEUE_CAPACITY: {{ $c.inference.queueCapacity | quote }}
SINEWICH_INFERENCE_MAX_BATCH_SIZE: {{ $c.inference.maxBatchSize | quote }}
SINEWICH_INFERENCE_MAX_DELAY: {{ $c.inference.maxDelay | quote }}
SINEWICH_INFERENCE_TIMEOUT: {{ $c.inference.timeout | quote }}
SINEWICH_INFERENCE_MAX_TIMEOUT: {{ $c.inference.maxTimeout | quote }}
SINEWICH_INFERENCE_THREADS: {{ $c.inference.threads | quote }}
SINEWICH_KERNELS_POLICY: {{ $c.kernels.policy | quote }}
SINEWICH_KERNELS_BUDGET: {{ $c.kernels.budget | quote }}
{{- with $c.kernels.pin }}
SINEWICH_KERNELS_PIN: {{ join "," . | quote }}
{{- end }}
{{- with $c.kernels.preload }}
SINEWICH_KERNELS_PRELOAD: {{ join "," . | quote }}
{{- end }}
SINEWICH_LIMITS_MAX_IMAGE_PIXELS: {{ int64 $c.limits.maxImagePixels | quote }}
SINEWICH_LIMITS_MAX_IMAGE_BYTES: {{ $c.limits.maxImageBytes | quote }}
SINEWICH_LIMITS_MAX_REQUEST_PIXELS: {{ int64 $c.limits.maxRequestPixels | quote }}
SINEWICH_LIMITS_MAX_OUTPUT_VALUES: {{ int64 $c.limits.maxOutputValues | quote }}
SINEWICH_LIMITS_MAX_INFLIGHT_BODY_BYTES: {{ $c.limits.maxInflightBodyBytes | quote }}
SINEWICH_LIMITS_MAX_INFLIGHT_TENSOR_BYTES: {{ $c.limits.maxInflightTensorBytes | quote }}
SINEWICH_LIMITS_MAX_RECEIVING_GRPC_BYTES: {{ $c.limits.maxReceivingGrpcBytes | quote }}
SINEWICH_LIMITS_BODY_READ_TIMEOUT: {{ $c.limits.bodyReadTimeout | quote }}
QUARKUS_SWAGGER_UI_ENABLED: {{ $.root.Values.swaggerUi | quote }}
SINEWICH_GRPC_MAX_CONNECTION_AGE: {{ $c.grpc.maxConnectionAge | quote }}
SINEWICH_GRPC_MAX_CONNECTION_AGE_GRACE: {{ $c.grpc.maxConnectionAgeGrace | quote }}
{{- end }}

{{/* The server container's resources: guaranteedQoS (requests equal limits), ephemeral-storage
requested for the emptyDirs on node disk, and GPUs. Call with (dict "root" $ "resources" $resources
"gpu" $gpu "modelImage" $bool); $gpu holds enabled, count and resourceName; modelImage adds the
model image's emptyDir to the ephemeral storage. */}}
{{- define "sinewich-serve.resources" -}}
{{- $resources := deepCopy .resources }}
{{- $requests := default dict $resources.requests }}
{{- if .root.Values.guaranteedQoS }}
{{- /* Guaranteed QoS: every request equals its limit (CPU limit from the request, memory request from the limit) */}}
{{- $limits := default dict $resources.limits }}
{{- if not (and $requests.cpu $limits.memory) }}
{{- fail "guaranteedQoS needs resources.requests.cpu and resources.limits.memory" }}
{{- end }}
{{- $_ := set $limits "cpu" $requests.cpu }}
{{- $_ := set $requests "memory" $limits.memory }}
{{- $_ := set $resources "limits" $limits }}
{{- end }}
{{- if and (ne .root.Values.tmp.medium "Memory") (not (hasKey $requests "ephemeral-storage")) }}
{{- /* the emptyDirs on node disk count against ephemeral storage: request what they may hold */}}
{{- $disk := include "sinewich-serve.bytes" .root.Values.tmp.sizeLimit | int64 }}
{{- if .modelImage }}
{{- $disk = add $disk (include "sinewich-serve.bytes" .root.Values.model.image.sizeLimit | int64) }}
{{- end }}
{{- $_ := set $requests "ephemeral-storage" (printf "%dMi" (div $disk 1048576)) }}
{{- end }}
{{- $_ := set $resources "requests" $requests }}
{{- if .gpu.enabled }}
{{- $limits := default dict $resources.limits }}
{{- $_ := set $limits .gpu.resourceName (int .gpu.count) }}
{{- $_ := set $resources "limits" $limits }}
{{- end }}
{{- toYaml $resources }}
{{- end }}

{{/* Labels of the KServe resources: the chart's labels with another app.kubernetes.io/component, so
that the Deployment's Services, PodDisruptionBudget and NetworkPolicy never select KServe's pods
(an InferenceService's labels reach its pods). Call with (list . "component"). */}}
{{- define "sinewich-serve.kserveLabels" -}}
{{- $ctx := index . 0 -}}
helm.sh/chart: {{ include "sinewich-serve.chart" $ctx }}
app.kubernetes.io/name: {{ include "sinewich-serve.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
app.kubernetes.io/version: {{ $ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
app.kubernetes.io/part-of: sinewich-serve
{{- end }}

{{/* The name of a KServe runtime of this release. Call with (list . "cpu"|"gpu"). */}}
{{- define "sinewich-serve.kserveRuntimeName" -}}
{{- include "sinewich-serve.resourceName" (list (index . 0) (printf "-%s" (index . 1))) }}
{{- end }}

{{/* The name of an example InferenceService: its name value, or the full name cut so that
"<name>-<variant>" has at most 47 characters (Knative names the revision
<name>-predictor-00001, at most 63). Call with (list . "cpu"|"gpu"). */}}
{{- define "sinewich-serve.kserveIsvcName" -}}
{{- $ctx := index . 0 }}
{{- $variant := index . 1 }}
{{- $isvc := index $ctx.Values.kserve.inferenceService $variant }}
{{- $suffix := printf "-%s" $variant }}
{{- $name := $isvc.name | default (printf "%s%s" (include "sinewich-serve.fullname" $ctx | trunc (int (sub 47 (len $suffix))) | trimSuffix "-") $suffix) }}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) }}
{{- fail (printf "kserve.inferenceService.%s.name: %q must start with a letter and hold only a-z, 0-9 and - (KServe's rule for InferenceService names); set it when the release name starts with a digit" $variant $name) }}
{{- end }}
{{- if gt (len $name) 47 }}
{{- fail (printf "kserve.inferenceService.%s.name: %q is longer than 47 characters (Knative's revision <name>-predictor-00001 must fit 63)" $variant $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{/* The kserve-container's security context: securityContext with the fields of
podSecurityContext that a container can carry and Knative accepts (runAsNonRoot, runAsUser,
runAsGroup, seccompProfile). A ServingRuntime has no pod-level securityContext, and Knative refuses
one unless its feature kubernetes.podspec-securitycontext is enabled. */}}
{{- define "sinewich-serve.kserveSecurityContext" -}}
{{- $sc := dict }}
{{- range $key := list "runAsNonRoot" "runAsUser" "runAsGroup" "seccompProfile" }}
{{- if hasKey $.Values.podSecurityContext $key }}
{{- $_ := set $sc $key (get $.Values.podSecurityContext $key) }}
{{- end }}
{{- end }}
{{- toYaml (mergeOverwrite $sc (deepCopy .Values.securityContext)) }}
{{- end }}

{{/* Whole cores of a CPU quantity ("2", "500m", "1.5"), rounded up, as the downward API gives
requests.cpu with divisor 1. */}}
{{- define "sinewich-serve.cores" -}}
{{- $q := toString . }}
{{- if hasSuffix "m" $q }}
{{- div (add (trimSuffix "m" $q | int) 999) 1000 }}
{{- else }}
{{- ceil (float64 $q) | int }}
{{- end }}
{{- end }}

{{/* Refuses KServe values that KServe or Knative would refuse, or that could not serve. */}}
{{- define "sinewich-serve.kserveValidate" -}}
{{- $k := .Values.kserve }}
{{- if and $k.runtime.cpu.enabled $k.runtime.gpu.enabled (eq (int $k.runtime.cpu.priority) (int $k.runtime.gpu.priority)) }}
{{- fail "kserve.runtime.cpu.priority and kserve.runtime.gpu.priority must differ: KServe refuses two runtimes with the same priority for one model format" }}
{{- end }}
{{- range $variant := list "cpu" "gpu" }}
{{- $isvc := index $k.inferenceService $variant }}
{{- if $isvc.enabled }}
{{- $where := printf "kserve.inferenceService.%s" $variant }}
{{- if not $isvc.storageUri }}
{{- fail (printf "%s.storageUri is required: where KServe fetches the bundle (pvc://claim/path, s3://bucket/path, oci://...)" $where) }}
{{- end }}
{{- if and (not $isvc.runtime) (not (index $k.runtime $variant).enabled) }}
{{- fail (printf "%s needs kserve.runtime.%s.enabled, or %s.runtime naming a runtime installed otherwise" $where $variant $where) }}
{{- end }}
{{- $knative := has $isvc.deploymentMode (list "Serverless" "Knative") }}
{{- $a := $isvc.autoscaling }}
{{- if and (eq $a.class "kpa") (not $knative) }}
{{- fail (printf "%s.autoscaling.class kpa needs deploymentMode Serverless (Knative); RawDeployment scales with hpa" $where) }}
{{- end }}
{{- if and (eq $a.class "hpa") (lt (int $a.minReplicas) 1) }}
{{- fail (printf "%s.autoscaling.minReplicas must be at least 1 with class hpa (only kpa scales to zero)" $where) }}
{{- end }}
{{- if and (gt (int $a.maxReplicas) 0) (gt (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas must not exceed maxReplicas" $where) }}
{{- end }}
{{- if and (eq $a.class "hpa") (lt (int $a.maxReplicas) 1) }}
{{- fail (printf "%s.autoscaling.maxReplicas must be at least 1 with class hpa" $where) }}
{{- end }}
{{- if and $knative (not $isvc.runtime) (eq $k.runtime.port "both") }}
{{- fail (printf "kserve.runtime.port both declares two ports, which Knative refuses: %s.deploymentMode %s needs port http1 or h2c" $where $isvc.deploymentMode) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
