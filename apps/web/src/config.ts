// Runtime configuration, served beside the app as config.json by whoever serves it
// (the platform runner, the container's entrypoint, a test): one build for every
// deployment.
import type { AgoraEndpoints } from "@agora/clients";

export interface WebConfig {
  /** The OpenID Connect issuer (discovery at <issuer>/.well-known/openid-configuration). */
  issuer: string;
  /** This app's public client id at the provider (authorization code + PKCE, no secret). */
  clientId: string;
  /** Resource indicator (RFC 8707) asking for an access token for Agora's API, if any. */
  resource?: string;
  scope: string;
  /** Where the access token carries Agora's roles (a dot path, as the services' JWT_ROLES_CLAIM). */
  rolesClaim: string;
  endpoints: AgoraEndpoints;
}

function isText(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

export function parseConfig(raw: unknown): WebConfig {
  const value = raw as Partial<Record<keyof WebConfig, unknown>>;
  const endpoints = value.endpoints as Partial<Record<keyof AgoraEndpoints, unknown>> | undefined;
  if (
    !isText(value.issuer) ||
    !isText(value.clientId) ||
    endpoints === undefined ||
    !isText(endpoints.catalog) ||
    !isText(endpoints.community) ||
    !isText(endpoints.gamification) ||
    !isText(endpoints.notifications)
  ) {
    throw new Error("config.json lacks issuer, clientId or a service endpoint");
  }
  const config: WebConfig = {
    issuer: value.issuer,
    clientId: value.clientId,
    scope: isText(value.scope) ? value.scope : "openid",
    rolesClaim: isText(value.rolesClaim) ? value.rolesClaim : "roles",
    endpoints: {
      catalog: endpoints.catalog,
      community: endpoints.community,
      gamification: endpoints.gamification,
      notifications: endpoints.notifications,
    },
  };
  if (isText(value.resource)) config.resource = value.resource;
  return config;
}

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch("./config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return parseConfig(await response.json());
}
