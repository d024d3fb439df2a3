// Sign-in with the configured OpenID Connect provider: authorization code + PKCE
// (oauth4webapi, a certified relying-party library). The access token lives in
// sessionStorage only: a closed tab signs out, nothing is kept on disk.
import * as oauth from "oauth4webapi";

import type { WebConfig } from "./config";

const PENDING_KEY = "agora.signIn";
const SESSION_KEY = "agora.session";

export interface Session {
  accessToken: string;
  expiresAt: number;
  subject: string;
  name: string;
  /** Roles read from the access token; they only choose what the app shows (the services decide). */
  roles: string[];
}

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

function insecureAllowed(url: URL): boolean {
  // Plain HTTP only for a provider on this machine (local development and tests).
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

function redirectUri(): string {
  return `${window.location.origin}${window.location.pathname}`;
}

async function server(config: WebConfig): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(config.issuer);
  const response = await oauth.discoveryRequest(issuer, {
    algorithm: "oidc",
    [oauth.allowInsecureRequests]: insecureAllowed(issuer),
  });
  return oauth.processDiscoveryResponse(issuer, response);
}

export async function beginSignIn(config: WebConfig): Promise<void> {
  const as = await server(config);
  if (as.authorization_endpoint === undefined) throw new Error("no authorization endpoint");
  const pending: Pending = {
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    returnTo: window.location.hash || "#/",
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("redirect_uri", redirectUri());
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", config.scope);
  url.searchParams.set("state", pending.state);
  url.searchParams.set("nonce", pending.nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(pending.verifier));
  url.searchParams.set("code_challenge_method", "S256");
  if (config.resource !== undefined) url.searchParams.set("resource", config.resource);
  window.location.assign(url.href);
}

/** True when the page was opened by the provider's redirect back to the app. */
export function isCallback(): boolean {
  const params = new URLSearchParams(window.location.search);
  return params.has("state") && (params.has("code") || params.has("error"));
}

function claims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

function rolesAt(claims: Record<string, unknown>, path: string): string[] {
  let value: unknown = claims;
  for (const part of path.split(".")) {
    value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return Array.isArray(value) ? value.filter((role): role is string => typeof role === "string") : [];
}

/** Redeem the code with the PKCE verifier; returns the new session and where to go. */
export async function completeSignIn(config: WebConfig): Promise<{ session: Session; returnTo: string }> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (raw === null) throw new Error("no sign-in was started in this tab");
  const pending = JSON.parse(raw) as Pending;
  const as = await server(config);
  const client: oauth.Client = { client_id: config.clientId };
  const insecure = insecureAllowed(new URL(config.issuer));
  const params = oauth.validateAuthResponse(as, client, new URL(window.location.href), pending.state);
  const additionalParameters: Record<string, string> = {};
  if (config.resource !== undefined) additionalParameters["resource"] = config.resource;
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    { additionalParameters, [oauth.allowInsecureRequests]: insecure },
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: pending.nonce,
    requireIdToken: config.scope.split(" ").includes("openid"),
  });
  const access = claims(result.access_token);
  const idClaims = oauth.getValidatedIdTokenClaims(result);
  const subject = String(access["sub"] ?? idClaims?.sub ?? "");
  const name = typeof idClaims?.["name"] === "string" ? idClaims["name"] : subject;
  const session: Session = {
    accessToken: result.access_token,
    expiresAt: Date.now() + (result.expires_in ?? 300) * 1000,
    subject,
    name,
    roles: rolesAt(access, config.rolesClaim),
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  window.history.replaceState(null, "", `${window.location.pathname}${pending.returnTo}`);
  return { session, returnTo: pending.returnTo };
}

export function storedSession(): Session | null {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (raw === null) return null;
  const session = JSON.parse(raw) as Session;
  return session.expiresAt > Date.now() + 10_000 && Array.isArray(session.roles) ? session : null;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
}
