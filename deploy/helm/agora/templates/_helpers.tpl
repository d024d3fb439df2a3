{{/* Name of the chart. */}}
{{- define "agora.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: <release>-agora, or the release name if it contains "agora". */}}
{{- define "agora.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "agora.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "agora.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agora
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "name" "catalog"). */}}
{{- define "agora.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agora.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Labels of one service's resources. */}}
{{- define "agora.serviceLabels" -}}
{{ include "agora.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Name of one service's resources: <fullname>-<service>. */}}
{{- define "agora.serviceName" -}}
{{- printf "%s-%s" (include "agora.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* A service's settings: "defaults" overridden by its own block, as YAML. */}}
{{- define "agora.serviceValues" -}}
{{- $merged := mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy (index .root.Values.services .name)) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* The Secret holding connection strings and keys. */}}
{{- define "agora.secretName" -}}
{{- default (include "agora.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The Secret the hook Jobs read: a copy made for the hooks (they run before the
     release's own Secret exists), or the operator's existing Secret. */}}
{{- define "agora.hookSecretName" -}}
{{- printf "%s-hooks" (include "agora.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "agora.hookSecret" -}}
{{- default (include "agora.hookSecretName" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Pod security context of every Agora container (the images' uid/gid 10001). */}}
{{- define "agora.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container security context of every Agora container. */}}
{{- define "agora.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Environment variable prefix of a service: AGORA_<SERVICE>_. */}}
{{- define "agora.envPrefix" -}}
{{- printf "AGORA_%s_" (upper .) -}}
{{- end -}}

{{/* Kafka consumer group of a service (the services' default, agora-<service>). */}}
{{- define "agora.consumerGroup" -}}
{{- printf "agora-%s" . -}}
{{- end -}}

{{/* Fails the render when a service could scale past the topics' partitions. */}}
{{- define "agora.checkPartitions" -}}
{{- $root := . -}}
{{- range $name, $_ := .Values.services -}}
{{- $svc := include "agora.serviceValues" (dict "root" $root "name" $name) | fromYaml -}}
{{- if $svc.enabled -}}
{{- $most := $svc.replicas -}}
{{- if or $svc.autoscaling.enabled $svc.keda.enabled -}}{{- $most = $svc.autoscaling.maxReplicas -}}{{- end -}}
{{- if gt (int $most) (int $root.Values.kafka.topics.partitions) -}}
{{- fail (printf "services.%s can run %d replicas but topics have %d partitions: replicas beyond the partition count consume nothing; raise kafka.topics.partitions or lower the replicas" $name (int $most) (int $root.Values.kafka.topics.partitions)) -}}
{{- end -}}
{{- if and $svc.autoscaling.enabled (gt (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas)) -}}
{{- fail (printf "services.%s: autoscaling.minReplicas is above maxReplicas" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Kafka security of a client container, as env entries:
     (dict "prefix" "AGORA_CATALOG_" "root" $ "secret" <secret name>). */}}
{{- define "agora.kafkaSecurityEnv" -}}
{{- $k := .root.Values.kafka -}}
{{- if not (has $k.securityProtocol (list "PLAINTEXT" "SSL" "SASL_PLAINTEXT" "SASL_SSL")) }}
{{- fail "kafka.securityProtocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL" }}
{{- end }}
{{- if and $k.caSecret (not (has $k.securityProtocol (list "SSL" "SASL_SSL"))) }}
{{- fail "kafka.caSecret needs kafka.securityProtocol SSL or SASL_SSL" }}
{{- end }}
- name: {{ .prefix }}KAFKA_SECURITY_PROTOCOL
  value: {{ $k.securityProtocol | quote }}
{{- if hasPrefix "SASL_" $k.securityProtocol }}
- name: {{ .prefix }}KAFKA_SASL_MECHANISM
  value: {{ $k.sasl.mechanism | quote }}
- name: {{ .prefix }}KAFKA_SASL_USERNAME
  value: {{ required "kafka.sasl.username is required with a SASL kafka.securityProtocol" $k.sasl.username | quote }}
- name: {{ .prefix }}KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .secret }}, key: kafka-sasl-password}
{{- end }}
{{- if $k.caSecret }}
- name: {{ .prefix }}KAFKA_SSL_CA_FILE
  value: /etc/agora/kafka-ca/ca.crt
{{- end }}
{{- end -}}

{{/* Environment of one service's container, shared by its Deployment and its migration
     Job so that both load the same configuration:
     (dict "root" $ "name" "catalog" "svc" <merged service values> "secret" <Secret name>). */}}
{{- define "agora.serviceEnv" -}}
{{- $r := .root -}}
{{- $name := .name -}}
{{- $secret := .secret -}}
{{- $svc := .svc -}}
{{- $p := include "agora.envPrefix" .name -}}
- name: {{ $p }}GRPC_HOST
  value: "0.0.0.0"
- name: {{ $p }}GRPC_PORT
  value: {{ $svc.grpcPort | quote }}
- name: {{ $p }}HTTP_HOST
  value: "0.0.0.0"
- name: {{ $p }}HTTP_PORT
  value: {{ $svc.httpPort | quote }}
- name: {{ $p }}CONNECT_ENABLED
  value: {{ $r.Values.connect.enabled | quote }}
{{- if $r.Values.connect.enabled }}
- name: {{ $p }}CONNECT_HOST
  value: "0.0.0.0"
- name: {{ $p }}CONNECT_PORT
  value: {{ $r.Values.connect.port | quote }}
- name: {{ $p }}CONNECT_CORS_ALLOWED_ORIGINS
  value: {{ include "agora.corsAllowedOrigins" $r | quote }}
- name: {{ $p }}CONNECT_CORS_ALLOW_CREDENTIALS
  value: {{ $r.Values.connect.cors.allowCredentials | quote }}
- name: {{ $p }}CONNECT_CORS_MAX_AGE_SECONDS
  value: {{ $r.Values.connect.cors.maxAgeSeconds | quote }}
{{- end }}
- name: {{ $p }}LOG_LEVEL
  value: {{ $r.Values.logLevel | quote }}
{{- include "agora.tracingEnv" $r }}
- name: {{ $p }}SHUTDOWN_GRACE_SECONDS
  value: {{ $svc.shutdownGraceSeconds | quote }}
- name: {{ $p }}GRPC_MAX_CONNECTION_AGE_SECONDS
  value: {{ $svc.grpc.maxConnectionAgeSeconds | quote }}
- name: {{ $p }}GRPC_MAX_CONNECTION_AGE_GRACE_SECONDS
  value: {{ $svc.grpc.maxConnectionAgeGraceSeconds | quote }}
- name: {{ $p }}KAFKA_BOOTSTRAP_SERVERS
  value: {{ $r.Values.kafka.bootstrapServers | quote }}
{{- include "agora.kafkaSecurityEnv" (dict "prefix" $p "root" $r "secret" $secret) }}
{{- /* The DSN carries the password: always from a Secret, never a plain value. */}}
- name: {{ $p }}POSTGRES_DSN
  valueFrom:
    {{- if $svc.postgres.existingSecret }}
    secretKeyRef: {name: {{ $svc.postgres.existingSecret }}, key: {{ $svc.postgres.existingSecretKey }}}
    {{- else }}
    secretKeyRef: {name: {{ $secret }}, key: {{ $name }}-postgres-dsn}
    {{- end }}
- name: {{ $p }}POSTGRES_POOL_MIN_SIZE
  value: {{ $svc.postgres.pool.minSize | quote }}
- name: {{ $p }}POSTGRES_POOL_MAX_SIZE
  value: {{ $svc.postgres.pool.maxSize | quote }}
- name: {{ $p }}POSTGRES_POOL_TIMEOUT_SECONDS
  value: {{ $svc.postgres.pool.timeoutSeconds | quote }}
{{- /* Migrations run once per release in the hook Job (or by the operator), never
       concurrently from every replica. */}}
- name: {{ $p }}POSTGRES_MIGRATE_ON_START
  value: "false"
- name: {{ $p }}JWT_JWKS_URL
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: jwt-jwks-url, optional: true}
- name: {{ $p }}JWT_PUBLIC_KEY_PEM
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: jwt-public-key-pem, optional: true}
{{- with $r.Values.auth.issuer }}
- name: {{ $p }}JWT_ISSUER
  value: {{ . | quote }}
{{- end }}
{{- with $r.Values.auth.audience }}
- name: {{ $p }}JWT_AUDIENCE
  value: {{ . | quote }}
{{- end }}
- name: {{ $p }}JWT_SUBJECT_CLAIM
  value: {{ $r.Values.auth.subjectClaim | quote }}
- name: {{ $p }}JWT_TENANT_CLAIM
  value: {{ $r.Values.auth.tenantClaim | quote }}
{{- with $r.Values.auth.fixedTenant }}
- name: {{ $p }}JWT_FIXED_TENANT
  value: {{ . | quote }}
{{- end }}
- name: {{ $p }}JWT_ROLES_CLAIM
  value: {{ $r.Values.auth.rolesClaim | quote }}
{{- with $r.Values.auth.roleMapping }}
- name: {{ $p }}JWT_ROLE_MAPPING
  value: {{ toJson . | quote }}
{{- end }}
- name: {{ $p }}JWT_ROLES_CLAIM_REQUIRED
  value: {{ $r.Values.auth.rolesClaimRequired | quote }}
{{- if eq $name "gamification" }}
- name: {{ $p }}PUBLIC_HOST
  value: "0.0.0.0"
- name: {{ $p }}PUBLIC_PORT
  value: {{ $svc.publicPort | quote }}
- name: {{ $p }}PUBLIC_BASE_URL
  value: {{ $svc.publicBaseUrl | quote }}
- name: {{ $p }}BADGE_SIGNING_KEY_PEM
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: gamification-badge-signing-key-pem, optional: true}
{{- end }}
{{- if eq $name "notifications" }}
- name: {{ $p }}PUBLIC_HOST
  value: "0.0.0.0"
- name: {{ $p }}PUBLIC_PORT
  value: {{ $svc.publicPort | quote }}
- name: {{ $p }}PUBLIC_BASE_URL
  value: {{ $svc.publicBaseUrl | quote }}
- name: {{ $p }}UNSUBSCRIBE_SECRET
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: notifications-unsubscribe-secret}
- name: {{ $p }}SMTP_HOST
  value: {{ $svc.smtp.host | quote }}
- name: {{ $p }}SMTP_PORT
  value: {{ $svc.smtp.port | quote }}
- name: {{ $p }}SMTP_STARTTLS
  value: {{ $svc.smtp.starttls | quote }}
{{- with $svc.smtp.username }}
- name: {{ $p }}SMTP_USERNAME
  value: {{ . | quote }}
{{- end }}
- name: {{ $p }}SMTP_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $secret }}, key: notifications-smtp-password, optional: true}
- name: {{ $p }}EMAIL_FROM
  value: {{ $svc.emailFrom | quote }}
{{- end }}
{{- range $key, $value := $svc.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Tracing: the standard OTEL_* variables (off unless tracing.enabled). */}}
{{- define "agora.tracingEnv" -}}
{{- $t := .Values.tracing }}
{{- if $t.enabled }}
- name: OTEL_TRACES_EXPORTER
  value: "otlp"
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $t.otlpEndpoint | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $t.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $t.samplerArg | quote }}
{{- if $t.resourceAttributes }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ $t.resourceAttributes | quote }}
{{- end }}
{{- else }}
- name: OTEL_TRACES_EXPORTER
  value: "none"
{{- end }}
{{- end }}

{{/* The web app's origin (served on web.host over HTTPS by the Ingress or Gateway). */}}
{{- define "agora.webOrigin" -}}
{{- printf "https://%s" (required "web.host is required with web.enabled" .Values.web.host) -}}
{{- end -}}

{{/* Origins the services' Connect endpoints allow: connect.cors.allowedOrigins, plus
     the web app's own origin when the chart deploys it. */}}
{{- define "agora.corsAllowedOrigins" -}}
{{- $origins := .Values.connect.cors.allowedOrigins -}}
{{- if .Values.web.enabled -}}
{{- $origins = append $origins (include "agora.webOrigin" .) | uniq -}}
{{- end -}}
{{- toJson $origins -}}
{{- end -}}

{{/* The web container's environment: what its entrypoint writes into config.json
     (apps/web/deploy/write-config.sh). Every service is reached on connect.host. */}}
{{- define "agora.webEnv" -}}
{{- $web := .Values.web -}}
{{- $api := default (printf "https://%s" .Values.connect.host) $web.apiUrl -}}
- name: AGORA_WEB_ISSUER
  value: {{ required "web.issuer is required with web.enabled" $web.issuer | quote }}
- name: AGORA_WEB_CLIENT_ID
  value: {{ $web.clientId | quote }}
- name: AGORA_WEB_SCOPE
  value: {{ $web.scope | quote }}
- name: AGORA_WEB_RESOURCE
  value: {{ $web.resource | quote }}
- name: AGORA_WEB_ROLES_CLAIM
  value: {{ .Values.auth.rolesClaim | quote }}
{{- range $name := list "catalog" "community" "gamification" "notifications" }}
- name: AGORA_WEB_{{ upper $name }}_URL
  value: {{ $api | quote }}
{{- end }}
{{- end -}}
