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
