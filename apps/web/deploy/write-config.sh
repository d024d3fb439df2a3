#!/bin/sh
# Writes the web app's config.json (apps/web/src/config.ts reads it) from AGORA_WEB_*
# variables, then runs the given command (nginx). The same JSON the local platform
# serves (agora_platform.web.WebConfig): one image for every deployment.
#
#   AGORA_WEB_ISSUER               OpenID Connect issuer URL (required)
#   AGORA_WEB_CATALOG_URL          Connect base URL of each service (required)
#   AGORA_WEB_COMMUNITY_URL
#   AGORA_WEB_GAMIFICATION_URL
#   AGORA_WEB_NOTIFICATIONS_URL
#   AGORA_WEB_CLIENT_ID            public client id at the provider (agora-web)
#   AGORA_WEB_SCOPE                requested scopes (openid profile offline_access)
#   AGORA_WEB_RESOURCE             resource indicator (RFC 8707) of the API (none)
#   AGORA_WEB_ROLES_CLAIM          dot path of the roles in the access token (roles)
#   AGORA_WEB_CONFIG_DIR           where config.json is written (/tmp/agora-web)
#
# Values are checked, not escaped: URLs and names made of the characters below only, so
# the JSON is well formed by construction and a typo fails the start, clearly.
set -eu

fail() {
    echo "agora-web: $*" >&2
    exit 64
}

# $1 name, $2 value, $3 what it must be: "url" (http or https) or "word".
check() {
    case "$3" in
    url)
        case "$2" in
        http://?* | https://?*) ;;
        *) fail "$1 must be an http(s) URL, got '$2'" ;;
        esac
        case "$2" in
        *[!A-Za-z0-9._~:/?#@!\$\&\'\(\)*+,\;=%-]*) fail "$1 holds a character not allowed in a URL" ;;
        esac
        ;;
    word)
        [ -n "$2" ] || fail "$1 is empty"
        case "$2" in
        *[!A-Za-z0-9._:/\ -]*) fail "$1 may hold letters, digits, spaces and . _ : / - only" ;;
        esac
        ;;
    esac
}

required() {
    eval "value=\${$1:-}"
    [ -n "$value" ] || fail "$1 is required (see apps/web/README.md, Container image)"
    check "$1" "$value" "$2"
    printf '%s' "$value"
}

optional() {
    eval "value=\${$1:-$2}"
    check "$1" "$value" "$3"
    printf '%s' "$value"
}

issuer=$(required AGORA_WEB_ISSUER url)
catalog=$(required AGORA_WEB_CATALOG_URL url)
community=$(required AGORA_WEB_COMMUNITY_URL url)
gamification=$(required AGORA_WEB_GAMIFICATION_URL url)
notifications=$(required AGORA_WEB_NOTIFICATIONS_URL url)
client_id=$(optional AGORA_WEB_CLIENT_ID agora-web word)
scope=$(optional AGORA_WEB_SCOPE "openid profile offline_access" word)
roles_claim=$(optional AGORA_WEB_ROLES_CLAIM roles word)
resource=""
if [ -n "${AGORA_WEB_RESOURCE:-}" ]; then
    check AGORA_WEB_RESOURCE "$AGORA_WEB_RESOURCE" url
    resource=$(printf '"resource": "%s", ' "$AGORA_WEB_RESOURCE")
fi

directory=${AGORA_WEB_CONFIG_DIR:-/tmp/agora-web}
mkdir -p "$directory"
# Written whole, then renamed: nginx never serves half a file.
printf '{"issuer": "%s", "clientId": "%s", %s"scope": "%s", "rolesClaim": "%s", "endpoints": {"catalog": "%s", "community": "%s", "gamification": "%s", "notifications": "%s"}}\n' \
    "$issuer" "$client_id" "$resource" "$scope" "$roles_claim" \
    "$catalog" "$community" "$gamification" "$notifications" >"$directory/config.json.new"
mv "$directory/config.json.new" "$directory/config.json"
echo "agora-web: config.json written (issuer $issuer)" >&2

exec "$@"
