// Sign-in with the configured OpenID Connect provider: authorization code + PKCE
// (oauth4webapi, a certified relying-party library), kept alive with refresh tokens
// (`offline_access`; the logic is in tokens.ts). The tokens live in memory and in
// sessionStorage only: a reload keeps the sign-in, a closed tab ends it, nothing is
// written to disk or shared between tabs (so two tabs never race one rotating refresh
// token). A script running in the page could still read them, as with any SPA that
// holds tokens: the provider rotates the refresh token at each use and revokes the
// sign-in when an old one is replayed, which bounds what a stolen one is worth.
import * as oauth from "oauth4webapi";

import type { WebConfig } from "./config";
import { SessionEnded, tokensFrom, type Tokens } from "./tokens";

const PENDING_KEY = "agora.signIn";
const SESSION_KEY = "agora.session";

export interface Session {
  tokens: Tokens;
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

const discovered = new Map<string, Promise<oauth.AuthorizationServer>>();

/** The provider's metadata, asked once per page (a failed discovery is asked again). */
function server(config: WebConfig): Promise<oauth.AuthorizationServer> {
  let metadata = discovered.get(config.issuer);
  if (metadata === undefined) {
    const issuer = new URL(config.issuer);
    metadata = oauth
      .discoveryRequest(issuer, { algorithm: "oidc", [oauth.allowInsecureRequests]: insecureAllowed(issuer) })
      .then((response) => oauth.processDiscoveryResponse(issuer, response));
    metadata.catch(() => discovered.delete(config.issuer));
    discovered.set(config.issuer, metadata);
  }
  return metadata;
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
    tokens: tokensFrom(result, Date.now()),
    subject,
    name,
    roles: rolesAt(access, config.rolesClaim),
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  window.history.replaceState(null, "", `${window.location.pathname}${pending.returnTo}`);
  return { session, returnTo: pending.returnTo };
}

/** This tab's session, if its access token is still valid or it can be refreshed. */
export function storedSession(): Session | null {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (raw === null) return null;
  const session = JSON.parse(raw) as Partial<Session>;
  const tokens = session.tokens;
  if (tokens === undefined || !Array.isArray(session.roles)) return null;
  return tokens.refreshToken !== null || tokens.expiresAt > Date.now() + 10_000 ? (session as Session) : null;
}

/** Keeps the refreshed tokens for a reload of this tab. */
export function saveTokens(session: Session, tokens: Tokens): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...session, tokens }));
}

/** The refresh_token grant; the provider refusing the token (invalid_grant…) is SessionEnded. */
export async function refreshTokens(config: WebConfig, refreshToken: string): Promise<Tokens> {
  const as = await server(config);
  const client: oauth.Client = { client_id: config.clientId };
  const insecure = insecureAllowed(new URL(config.issuer));
  const additionalParameters: Record<string, string> = {};
  if (config.resource !== undefined) additionalParameters["resource"] = config.resource;
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, {
    additionalParameters,
    [oauth.allowInsecureRequests]: insecure,
  });
  try {
    const result = await oauth.processRefreshTokenResponse(as, client, response);
    return tokensFrom(result, Date.now(), refreshToken);
  } catch (problem) {
    if (problem instanceof oauth.ResponseBodyError) throw new SessionEnded(problem.error);
    throw problem;
  }
}

/** Forgets this tab's session and revokes its refresh token at the provider (best effort). */
export function signOut(config: WebConfig): void {
  const refreshToken = storedSession()?.tokens.refreshToken;
  sessionStorage.removeItem(SESSION_KEY);
  if (refreshToken === null || refreshToken === undefined) return;
  const revoke = async (): Promise<void> => {
    const as = await server(config);
    if (as.revocation_endpoint === undefined) return;
    const response = await oauth.revocationRequest(as, { client_id: config.clientId }, oauth.None(), refreshToken, {
      [oauth.allowInsecureRequests]: insecureAllowed(new URL(config.issuer)),
    });
    await oauth.processRevocationResponse(response);
  };
  revoke().catch(() => undefined); // the token expires anyway; signing out never waits on the provider
}
