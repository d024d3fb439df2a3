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
