{{/* Names. With the release called welkin-portal everything is called welkin-portal. */}}
{{- define "welkin-portal.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "welkin-portal.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "welkin-portal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "welkin-portal.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "welkin-portal.labels" -}}
{{ include "welkin-portal.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of the cluster-scoped RBAC and admission objects: the same as deploy/ shipped. */}}
{{- define "welkin-portal.clusterLabels" -}}
app.kubernetes.io/name: {{ include "welkin-portal.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The portal's ServiceAccount: its name is in the admission policy's match condition. */}}
{{- define "welkin-portal.serviceAccountName" -}}
{{- include "welkin-portal.fullname" . -}}
{{- end -}}

{{/* The base domain: baseDomain, or the issuer's host without `dex.`. */}}
{{- define "welkin-portal.baseDomain" -}}
{{- if .Values.baseDomain -}}
{{- .Values.baseDomain -}}
{{- else if .Values.oidc.issuer -}}
{{- $host := (urlParse .Values.oidc.issuer).host | default "" -}}
{{- $host = (split ":" $host)._0 -}}
{{- if hasPrefix "dex." $host -}}
{{- trimPrefix "dex." $host -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "welkin-portal.image" -}}
{{- $registry := .Values.image.registry -}}
{{- if not $registry -}}
{{- $domain := include "welkin-portal.baseDomain" . -}}
{{- if not $domain -}}
{{- fail "image.registry: set the registry to pull the portal from (your Harbor, e.g. harbor.example.com), or baseDomain (then harbor.BASE_DOMAIN)" -}}
{{- end -}}
{{- $registry = printf "harbor.%s" $domain -}}
{{- end -}}
{{- if or (hasPrefix "docker.io" $registry) (hasPrefix "index.docker.io" $registry) (hasPrefix "registry-1.docker.io" $registry) -}}
{{- fail (printf "image.registry: %s is Docker Hub; Welkin admits images from its trusted registries (Harbor) only" $registry) -}}
{{- end -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag: latest is refused (Welkin's Gatekeeper denies it); use a version" -}}
{{- end -}}
{{- $ref := printf "%s/%s:%s" (trimSuffix "/" $registry) .Values.image.repository $tag -}}
{{- if .Values.image.digest -}}
{{- $ref = printf "%s@%s" $ref .Values.image.digest -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{- define "welkin-portal.postgresql" -}}
{{- if .Values.database.postgresql.existingSecret -}}true{{- end -}}
{{- end -}}

{{- define "welkin-portal.replicas" -}}
{{- $replicas := .Values.replicas -}}
{{- if kindIs "invalid" $replicas -}}
{{- $replicas = ternary 2 1 (eq (include "welkin-portal.postgresql" .) "true") -}}
{{- end -}}
{{- $replicas = int $replicas -}}
{{- if and (gt $replicas 1) (ne (include "welkin-portal.postgresql" .) "true") -}}
{{- fail (printf "replicas: %d replicas need PostgreSQL (database.postgresql.existingSecret): SQLite on a volume serves one replica only" $replicas) -}}
{{- end -}}
{{- $replicas -}}
{{- end -}}

{{- define "welkin-portal.host" -}}
{{- if .Values.ingress.host -}}
{{- .Values.ingress.host -}}
{{- else -}}
{{- $domain := include "welkin-portal.baseDomain" . -}}
{{- if $domain -}}
{{- printf "portal.%s" $domain -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "welkin-portal.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- trimSuffix "/" .Values.publicUrl -}}
{{- else -}}
{{- $host := include "welkin-portal.host" . -}}
{{- if not $host -}}
{{- fail "publicUrl: set the URL users reach the portal at, or ingress.host, or baseDomain (then portal.BASE_DOMAIN)" -}}
{{- end -}}
{{- printf "https://%s" $host -}}
{{- end -}}
{{- end -}}

{{/* Where the chart mounts things in the container. */}}
{{- define "welkin-portal.configDir" -}}/etc/welkin-portal{{- end -}}
{{- define "welkin-portal.secretsDir" -}}/var/run/secrets/welkin-portal{{- end -}}

{{/* One TOML value: strings as JSON strings (valid TOML basic strings), whole numbers as
     integers (Helm reads numbers in values files as floats), lists element by element. */}}
{{- define "welkin-portal.tomlValue" -}}
{{- $v := .value -}}
{{- if kindIs "string" $v -}}
{{- toJson $v -}}
{{- else if kindIs "bool" $v -}}
{{- ternary "true" "false" $v -}}
{{- else if or (kindIs "float64" $v) (kindIs "float32" $v) -}}
{{- if eq (float64 (int64 $v)) (float64 $v) -}}{{- int64 $v -}}{{- else -}}{{- $v -}}{{- end -}}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) (kindIs "int32" $v) -}}
{{- $v -}}
{{- else if kindIs "slice" $v -}}
{{- $items := list -}}
{{- range $v -}}
{{- $items = append $items (include "welkin-portal.tomlValue" (dict "key" $.key "value" .)) -}}
{{- end -}}
[{{ join ", " $items }}]
{{- else -}}
{{- fail (printf "config.%s: the portal's configuration is flat: a string, number, boolean or list" .key) -}}
{{- end -}}
{{- end -}}

{{/* The portal's configuration file: what the values above set, then `config`. */}}
{{- define "welkin-portal.configToml" -}}
{{- $issuer := required "oidc.issuer: set the OpenID Provider's issuer (Welkin: https://dex.BASE_DOMAIN)" .Values.oidc.issuer -}}
{{- if not (hasPrefix "https://" $issuer) -}}
{{- fail (printf "oidc.issuer: %s is not an https:// URL" $issuer) -}}
{{- end -}}
{{- $_ := required "oidc.clientSecret.existingSecret: name the Secret that holds the portal's client secret at the IdP" .Values.oidc.clientSecret.existingSecret -}}
{{- $secrets := include "welkin-portal.secretsDir" . -}}
{{- $c := dict
  "listen_addr" "0.0.0.0:3000"
  "metrics_addr" "0.0.0.0:9090"
  "public_url" (include "welkin-portal.publicUrl" .)
  "site_root" "/app/site"
  "log_json" true
  "oidc_issuer" $issuer
  "oidc_client_id" .Values.oidc.clientId
  "oidc_client_secret_file" (printf "%s/oidc/%s" $secrets .Values.oidc.clientSecret.key)
  "shutdown_drain_seconds" (int .Values.shutdown.drainSeconds)
  "shutdown_grace_seconds" (int .Values.shutdown.graceSeconds)
-}}
{{- if .Values.adminGroups -}}
{{- $_ := set $c "admin_groups" .Values.adminGroups -}}
{{- end -}}
{{- $registries := .Values.allowedRegistries -}}
{{- if and (not $registries) (include "welkin-portal.baseDomain" .) -}}
{{- $registries = list (printf "harbor.%s/" (include "welkin-portal.baseDomain" .)) -}}
{{- end -}}
{{- if $registries -}}
{{- $_ := set $c "allowed_registries" $registries -}}
{{- end -}}
{{- if ne (include "welkin-portal.postgresql" .) "true" -}}
{{- $_ := set $c "database_url" "sqlite:///data/portal.db" -}}
{{- end -}}
{{- if or .Values.faq.existingConfigMap .Values.faq.files -}}
{{- $_ := set $c "faq_dir" (printf "%s/faq" (include "welkin-portal.configDir" .)) -}}
{{- end -}}
{{- $_ := set $c "cluster_name" .Values.kubeconfig.clusterName -}}
{{- if .Values.kubeconfig.server -}}
{{- $_ := set $c "cluster_server" .Values.kubeconfig.server -}}
{{- end -}}
{{- if .Values.kubeconfig.caCert -}}
{{- $_ := set $c "cluster_ca_file" (printf "%s/cluster-ca.crt" (include "welkin-portal.configDir" .)) -}}
{{- end -}}
{{- if .Values.kubeconfig.clientSecret.existingSecret -}}
{{- $_ := set $c "kubectl_client_secret_file" (printf "%s/kubectl/%s" $secrets .Values.kubeconfig.clientSecret.key) -}}
{{- end -}}
{{- $owned := dict
  "listen_addr" "the chart (port 3000)"
  "metrics_addr" "the chart (port 9090)"
  "public_url" "publicUrl"
  "site_root" "the image"
  "oidc_issuer" "oidc.issuer"
  "oidc_client_id" "oidc.clientId"
  "oidc_client_secret" "oidc.clientSecret"
  "oidc_client_secret_file" "oidc.clientSecret"
  "admin_groups" "adminGroups"
  "allowed_registries" "allowedRegistries"
  "database_url" "database"
  "faq_dir" "faq"
  "cluster_name" "kubeconfig.clusterName"
  "cluster_server" "kubeconfig.server"
  "cluster_ca_file" "kubeconfig.caCert"
  "kubectl_client_secret" "kubeconfig.clientSecret"
  "kubectl_client_secret_file" "kubeconfig.clientSecret"
  "kubeconfig" "the chart (the in-cluster ServiceAccount)"
  "shutdown_drain_seconds" "shutdown.drainSeconds"
  "shutdown_grace_seconds" "shutdown.graceSeconds"
-}}
{{- range $key, $value := .Values.config -}}
{{- if hasKey $owned $key -}}
{{- fail (printf "config.%s: set by %s, not in config" $key (get $owned $key)) -}}
{{- end -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $_ := set $c $key $value -}}
{{- end -}}
{{- end -}}
# The portal's configuration (README: Configuration). Rendered by the chart; secrets are files
# (the *_file keys) or environment variables from Secrets, never here.
{{- range $key := keys $c | sortAlpha }}
{{ $key }} = {{ include "welkin-portal.tomlValue" (dict "key" $key "value" (get $c $key)) }}
{{- end }}
{{ end -}}

{{/* The shutdown budget: terminationGracePeriodSeconds must outlast preStop, drain and grace. */}}
{{- define "welkin-portal.terminationGracePeriodSeconds" -}}
{{- add (int .Values.shutdown.preStopSeconds) (int .Values.shutdown.drainSeconds) (int .Values.shutdown.graceSeconds) 5 -}}
{{- end -}}

{{- define "welkin-portal.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "welkin-portal.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The environment of both containers: the config file, and the database URL from its Secret. */}}
{{- define "welkin-portal.env" -}}
- name: PORTAL_CONFIG
  value: {{ include "welkin-portal.configDir" . }}/config.toml
{{- if eq (include "welkin-portal.postgresql" .) "true" }}
- name: PORTAL_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.postgresql.existingSecret }}
      key: {{ .Values.database.postgresql.key }}
{{- end }}
{{- end }}

{{/* The mounts of both containers. */}}
{{- define "welkin-portal.volumeMounts" -}}
- name: config
  mountPath: {{ include "welkin-portal.configDir" . }}
  readOnly: true
- name: oidc-client-secret
  mountPath: {{ include "welkin-portal.secretsDir" . }}/oidc
  readOnly: true
{{- if .Values.kubeconfig.clientSecret.existingSecret }}
- name: kubectl-client-secret
  mountPath: {{ include "welkin-portal.secretsDir" . }}/kubectl
  readOnly: true
{{- end }}
{{- if or .Values.faq.existingConfigMap .Values.faq.files }}
- name: faq
  mountPath: {{ include "welkin-portal.configDir" . }}/faq
  readOnly: true
{{- end }}
{{- if ne (include "welkin-portal.postgresql" .) "true" }}
- name: data
  mountPath: /data
{{- end }}
{{- end }}

{{/* One egress rule of the NetworkPolicy: peers (none: any address) and TCP ports. */}}
{{- define "welkin-portal.egressRule" -}}
ports:
  {{- range .ports }}
  - protocol: TCP
    port: {{ int . }}
  {{- end }}
{{- if .to }}
to:
  {{- toYaml .to | nindent 2 }}
{{- end }}
{{- end }}

{{/* Every check of the values, in one order, at the top of every template: whichever template
     Helm renders first, a bad value fails with the same message. */}}
{{- define "welkin-portal.validate" -}}
{{- $_ := include "welkin-portal.configToml" . -}}
{{- $_ = include "welkin-portal.replicas" . -}}
{{- $_ = include "welkin-portal.image" . -}}
{{- end -}}
