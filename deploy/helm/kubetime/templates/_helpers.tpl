{{/* Names and labels. */}}
{{- define "kubetime.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kubetime.fullname" -}}
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

{{- define "kubetime.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubetime.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kubetime.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kubetime.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: history
app.kubernetes.io/part-of: kubetime
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kubetime.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubetime.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kubetime.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* "true" when /data is a PersistentVolumeClaim (persistence.enabled: auto|true|false). */}}
{{- define "kubetime.persistent" -}}
{{- $p := .Values.persistence.enabled }}
{{- if or (eq (toString $p) "true") (and (eq (toString $p) "auto") (ne .Values.store "cassandra")) }}true{{ end }}
{{- end }}

{{/* The Secret holding the audit token, or "" when there is no token. */}}
{{- define "kubetime.auditTokenSecret" -}}
{{- if .Values.audit.existingSecret }}{{ .Values.audit.existingSecret }}
{{- else if .Values.audit.token }}{{ include "kubetime.fullname" . }}-audit
{{- end }}
{{- end }}

{{- define "kubetime.auditTokenKey" -}}
{{- if .Values.audit.existingSecret }}{{ .Values.audit.existingSecretKey }}{{ else }}token{{ end }}
{{- end }}

{{/* The URL kube-apiserver's audit webhook posts to. */}}
{{- define "kubetime.auditWebhookServer" -}}
{{- if .Values.audit.webhook.server }}{{ .Values.audit.webhook.server }}
{{- else if .Values.service.clusterIP }}{{ printf "http://%s:%v/v1/audit" .Values.service.clusterIP .Values.service.port }}
{{- else }}{{ printf "http://%s.%s.svc:%v/v1/audit" (include "kubetime.fullname" .) .Release.Namespace .Values.service.port }}
{{- end }}
{{- end }}

{{/* Fails the render on settings that cannot work, with every problem named. */}}
{{- define "kubetime.validate" -}}
{{- $problems := list }}
{{- if not (has .Values.store (list "embedded" "lmdb" "cassandra")) }}
{{- $problems = append $problems (printf "store must be embedded or cassandra (got %q)" .Values.store) }}
{{- end }}
{{- if and (eq .Values.store "cassandra") (not .Values.cassandra.contactPoints) }}
{{- $problems = append $problems "store=cassandra needs cassandra.contactPoints (host:port[,host:port…])" }}
{{- end }}
{{- if not (has (toString .Values.persistence.enabled) (list "auto" "true" "false")) }}
{{- $problems = append $problems "persistence.enabled must be auto, true or false" }}
{{- end }}
{{- if and .Values.snapshots (not (or (hasPrefix "file://" .Values.snapshots) (hasPrefix "s3://" .Values.snapshots))) }}
{{- $problems = append $problems (printf "snapshots must be a file:// path or an s3://bucket/prefix URL (got %q)" .Values.snapshots) }}
{{- end }}
{{- if and (hasPrefix "file://" (toString .Values.snapshots)) (not (hasPrefix "file:///data" .Values.snapshots)) }}
{{- $problems = append $problems "file:// snapshots must live on the data volume (file:///data/…); the root filesystem is read-only" }}
{{- end }}
{{- if and (or .Values.s3.existingSecret .Values.s3.endpoint) (not (hasPrefix "s3://" (toString .Values.snapshots))) }}
{{- $problems = append $problems "s3.endpoint / s3.existingSecret are set but snapshots is not an s3:// URL" }}
{{- end }}
{{- if and (include "kubetime.auditTokenSecret" .) .Values.audit.webhook.enabled (hasPrefix "http://" (include "kubetime.auditWebhookServer" .)) }}
{{- $problems = append $problems "an audit token needs an https:// audit.webhook.server: kube-apiserver sends bearer tokens only over TLS, so every batch would get 401" }}
{{- end }}
{{- if not (has .Values.access.authn (list "none" "tokenreview" "token-file")) }}
{{- $problems = append $problems (printf "access.authn must be none, tokenreview or token-file (got %q)" .Values.access.authn) }}
{{- end }}
{{- if not (has .Values.access.authz (list "allow-all" "rbac" "policy")) }}
{{- $problems = append $problems (printf "access.authz must be allow-all, rbac or policy (got %q)" .Values.access.authz) }}
{{- end }}
{{- if and (eq .Values.access.authn "token-file") (not .Values.access.tokenFileSecret) }}
{{- $problems = append $problems "access.authn=token-file needs access.tokenFileSecret" }}
{{- end }}
{{- if and (eq .Values.access.authz "policy") (not .Values.access.policyConfigMap) }}
{{- $problems = append $problems "access.authz=policy needs access.policyConfigMap" }}
{{- end }}
{{- if and (or (eq .Values.access.authn "tokenreview") (eq .Values.access.authz "rbac")) (not .Values.rbac.create) }}
{{- $problems = append $problems "access.authn=tokenreview / access.authz=rbac need rbac.create (the TokenReview and SubjectAccessReview permission)" }}
{{- end }}
{{- if $problems }}
{{- fail (printf "\n\nkubetime chart: invalid values:\n  - %s\n" (join "\n  - " $problems)) }}
{{- end }}
{{- end }}
