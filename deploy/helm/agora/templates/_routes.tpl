{{/* The public endpoints, for the Ingress and the Gateway API HTTPRoutes.

     Connect (browsers, mobile apps) serves each API service at /<package>.<Service>/
     <Method>: one path prefix per service of the protos, on connect.host. The public
     HTTP ports serve the unsubscribe links (notifications, /unsubscribe) and the Open
     Badges credential status and issuer URLs (gamification, /tenants/...) under the
     host and path of their publicBaseUrl. The web app (web.enabled) is served on
     web.host. The admin API (agora.admin.v1) stays
     internal: no route reaches it. */}}

{{/* gRPC services (hence Connect path prefixes) each Agora service hosts. A test keeps
     them equal to the protos' services. */}}
{{- define "agora.connectServices" -}}
catalog: [agora.catalog.v1.CatalogService]
community: [agora.community.v1.CommunityService, agora.community.v1.PrivacyService]
gamification: [agora.gamification.v1.GamificationService]
notifications: [agora.notifications.v1.NotificationsService]
{{- end -}}

{{/* Path each public HTTP endpoint serves, below its publicBaseUrl. */}}
{{- define "agora.publicPaths" -}}
gamification: /tenants
notifications: /unsubscribe
{{- end -}}

{{/* Routes grouped by host, as YAML: {hosts: {<host>: [{path, served, service,
     portName, port}]}}. "path" is what clients ask for; "served" what the pod serves
     (they differ when a publicBaseUrl has a path, which the route must strip). */}}
{{- define "agora.publicRoutes" -}}
{{- $root := . -}}
{{- $hosts := dict -}}
{{- $connect := include "agora.connectServices" . | fromYaml -}}
{{- $public := include "agora.publicPaths" . | fromYaml -}}
{{- range $name, $_ := .Values.services }}
{{- $svc := include "agora.serviceValues" (dict "root" $root "name" $name) | fromYaml }}
{{- if $svc.enabled }}
{{- $backend := include "agora.serviceName" (dict "root" $root "name" $name) }}
{{- if $root.Values.connect.enabled }}
{{- $host := required "connect.host is required with public routes" $root.Values.connect.host }}
{{- $routes := default (list) (get $hosts $host) }}
{{- range (get $connect $name) }}
{{- $routes = append $routes (dict "path" (printf "/%s" .) "served" (printf "/%s" .) "service" $backend "portName" "connect" "port" $root.Values.connect.port) }}
{{- end }}
{{- $_ := set $hosts $host $routes }}
{{- end }}
{{- if and $svc.publicPort (hasKey $public $name) }}
{{- $url := urlParse $svc.publicBaseUrl }}
{{- $served := get $public $name }}
{{- $host := $url.host }}
{{- $routes := default (list) (get $hosts $host) }}
{{- $path := printf "%s%s" (trimSuffix "/" $url.path) $served }}
{{- $routes = append $routes (dict "path" $path "served" $served "service" $backend "portName" "public" "port" $svc.publicPort "publicBaseUrl" (printf "services.%s.publicBaseUrl" $name)) }}
{{- $_ := set $hosts $host $routes }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.web.enabled }}
{{- /* The web app: every other path of its host (longest prefix wins, so Connect paths
     on a shared host still reach the services). */}}
{{- $host := .Values.web.host }}
{{- $routes := default (list) (get $hosts $host) }}
{{- $routes = append $routes (dict "path" "/" "served" "/" "service" (include "agora.serviceName" (dict "root" $root "name" "web")) "portName" "http" "port" 8080) }}
{{- $_ := set $hosts $host $routes }}
{{- end }}
{{- toYaml (dict "hosts" $hosts) -}}
{{- end -}}
