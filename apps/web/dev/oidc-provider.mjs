// The local OpenID Connect provider of the web app (npm `oidc-provider`, certified):
// the people of one tenant sign in with their id and any password (development and
// tests only), through authorization code + PKCE, as the app does with a company's
// provider. Access tokens are JWTs (RS256, key published at <issuer>/jwks) for the
// resource indicator `resource`, audience `audience`, with Agora's default claims
// `tenant` and `roles`: the services only need JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE.
//
// Usage: node dev/oidc-provider.mjs <config.json>, where config.json holds
//   {"port": 0, "tenant": "demo", "people": [{"id": "emma", "name": "Emma", "roles": ["learner"]}],
//    "redirectUris": ["http://127.0.0.1:5173/"], "resource": "https://agora.example/api",
//    "audience": "agora-api"}
// or, instead of tenant and people, "peopleFile": a JSON file {"tenant", "people"} read at
// each sign-in (`make demo` writes the demo tenant's there: each run is a new tenant).
// It prints one JSON line {"issuer": ...} once listening and exits when stdin closes.
//
// Refresh tokens as a company's provider issues them to a browser app: to the public
// client (`offline_access` asked for), rotated at every use (the old one is consumed),
// and a consumed one presented again revokes the whole grant (every token of that sign-in).
// AGORA_WEB_OIDC_ACCESS_TOKEN_TTL (seconds, default 3600) shortens the access tokens'
// lifetime so tests can outlive one; refresh tokens live 8 h (ttl.RefreshToken).
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";

import Provider, { errors } from "oidc-provider";

const settings = JSON.parse(readFileSync(process.argv[2], "utf8"));

/** The tenant and its people: inline, or from peopleFile as it is now (none if absent). */
function directory() {
  let source = settings;
  if (settings.peopleFile) {
    try {
      source = JSON.parse(readFileSync(settings.peopleFile, "utf8"));
    } catch {
      source = { tenant: "", people: [] };
    }
  }
  return { tenant: source.tenant, people: Object.fromEntries(source.people.map((p) => [p.id, p])) };
}
const origins = new Set(settings.redirectUris.map((uri) => new URL(uri).origin));
const SCOPE = "agora";
const ACCESS_TOKEN_TTL = Number(process.env.AGORA_WEB_OIDC_ACCESS_TOKEN_TTL ?? 3600);
if (!Number.isInteger(ACCESS_TOKEN_TTL) || ACCESS_TOKEN_TTL < 1) {
  throw new Error("AGORA_WEB_OIDC_ACCESS_TOKEN_TTL must be a whole number of seconds");
}
const REFRESH_TOKEN_TTL = 8 * 60 * 60;

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };

const server = http.createServer((req, res) => provider.callback()(req, res));
await new Promise((resolve) => server.listen(settings.port ?? 0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "agora-web", // the browser app: public, PKCE, no secret
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: settings.redirectUris,
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  scopes: ["openid", "profile", "offline_access", SCOPE],
  claims: { openid: ["sub"], profile: ["name"] },
  pkce: { required: () => true },
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    // A rotated token keeps what is left of its first lifetime: one sign-in lasts 8 h at most.
    RefreshToken: (ctx) => ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL ?? REFRESH_TOKEN_TTL,
  },
  // The app asks for `offline_access`, which OpenID Connect grants only with prompt=consent;
  // like the providers' SPA settings (and oidc-provider's documented recipe), its public
  // browser client gets a refresh token either way, bound to the provider's session.
  issueRefreshToken: (ctx, client, code) =>
    client.grantTypeAllowed("refresh_token") &&
    (code.scopes.has("offline_access") || (client.applicationType === "web" && client.clientAuthMethod === "none")),
  rotateRefreshToken: () => true, // every use; reuse of a consumed one revokes the grant
  clientBasedCORS: (ctx, origin) => origins.has(origin),
  features: {
    devInteractions: { enabled: true }, // the login form takes any password: never in production
    revocation: { enabled: true }, // the app revokes its refresh token when one signs out
    resourceIndicators: {
      enabled: true,
      defaultResource: () => settings.resource,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator) {
        if (indicator !== settings.resource) throw new errors.InvalidTarget();
        return {
          scope: SCOPE,
          audience: settings.audience,
          accessTokenFormat: "jwt",
          accessTokenTTL: ACCESS_TOKEN_TTL,
          jwt: { sign: { alg: "RS256" } },
        };
      },
    },
  },
  // First-party app: no consent screen; the grant covers what the app asks for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid profile offline_access");
    grant.addResourceScope(settings.resource, SCOPE);
    await grant.save();
    return grant;
  },
  findAccount(ctx, id) {
    const person = directory().people[id];
    return person ? { accountId: id, claims: () => ({ sub: id, name: person.name }) } : undefined;
  },
  extraTokenClaims(ctx, token) {
    const { tenant, people } = directory();
    const person = token.accountId ? people[token.accountId] : undefined;
    return person ? { tenant, roles: person.roles } : undefined;
  },
});
provider.on("server_error", (ctx, error) => process.stderr.write(`server_error ${error.stack}\n`));

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
