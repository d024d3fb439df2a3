// A real OpenID Connect provider (npm `oidc-provider`, certified) for Agora's token tests.
//
// Three providers share this process, each on its own loopback port:
//   main            issuer http://127.0.0.1:<main>, key set K (rotatable)
//   foreign-issuer  issuer http://127.0.0.1:<other>, the SAME key set K: its tokens pass
//                   the signature check and must be refused for their issuer alone
//   foreign-key     the main issuer's name but its own key: its tokens carry a key id
//                   the main JWKS never lists
// Tokens are JWT access tokens for the resource https://agora.example/api (audience
// `agora-api`) or https://billing.example/api (audience `billing`), with Keycloak-shaped
// claims: organization.id (tenant) and realm_access.roles.
//
// On start it prints one JSON line: {"issuer", "foreign_issuer", "foreign_key_token_url"}.
// POST <issuer>/__test/rotate puts a new signing key first (the old one stays listed, as
// in a real rotation) and answers {"kid"}. The process exits when stdin closes.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const RESOURCES = {
  'https://agora.example/api': 'agora-api',
  'https://billing.example/api': 'billing',
};
const PEOPLE = {
  alice: { tenant: 'acme', roles: ['agora-contributor', 'offline_access'] },
  bruno: { tenant: 'globex', roles: ['agora-learner'] },
};
const MACHINES = {
  'agora-worker': { tenant: 'acme', roles: ['agora-admin'] },
  'agora-short-lived': { tenant: 'acme', roles: ['agora-admin'] },
};
const SHORT_LIVED_SECONDS = 1;

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function lifetime(client, token) {
  if (client?.clientId === 'agora-short-lived') return SHORT_LIVED_SECONDS;
  return token.resourceServer?.accessTokenTTL || 300;
}

function configuration(keys) {
  return {
    clients: [
      {
        client_id: 'agora-web', // a browser or mobile app: public, PKCE
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      ...Object.keys(MACHINES).map((clientId) => ({
        client_id: clientId,
        client_secret: `${clientId}-secret`,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
    ],
    jwks: { keys },
    cookies: { keys: ['agora-test-cookie-key'] },
    scopes: ['openid', 'agora'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true }, // a login form taking any password: tests only
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, indicator) {
          const audience = RESOURCES[indicator];
          if (!audience) throw new errors.InvalidTarget();
          return {
            scope: 'agora',
            audience,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: (ctx, token, client) => lifetime(client, token),
      ClientCredentials: (ctx, token, client) => lifetime(client, token),
    },
    findAccount: (ctx, id) => (PEOPLE[id] ? { accountId: id, claims: () => ({ sub: id }) } : undefined),
    extraTokenClaims(ctx, token) {
      const who = token.accountId ? PEOPLE[token.accountId] : MACHINES[token.clientId];
      if (!who) return undefined;
      return { organization: { id: who.tenant }, realm_access: { roles: who.roles } };
    },
  };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

function silenced(provider) {
  provider.on('server_error', (ctx, error) => process.stderr.write(`server_error ${error.stack}\n`));
  return provider;
}

const handlers = {};
const servers = Object.fromEntries(
  ['main', 'foreignIssuer', 'foreignKey'].map((name) => [
    name,
    http.createServer((req, res) => handlers[name](req, res)),
  ]),
);
const mainUrl = await listen(servers.main);
const foreignIssuerUrl = await listen(servers.foreignIssuer);
const foreignKeyUrl = await listen(servers.foreignKey);

let mainKeys = [newSigningKey()];
let main = silenced(new Provider(mainUrl, configuration(mainKeys)));
handlers.main = (req, res) => {
  if (req.method === 'POST' && req.url === '/__test/rotate') {
    mainKeys = [newSigningKey(), mainKeys[0]];
    main = silenced(new Provider(mainUrl, configuration(mainKeys)));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kid: mainKeys[0].kid }));
    return;
  }
  main.callback()(req, res);
};
const foreignIssuer = silenced(new Provider(foreignIssuerUrl, configuration(mainKeys)));
handlers.foreignIssuer = foreignIssuer.callback();
const foreignKey = silenced(new Provider(mainUrl, configuration([newSigningKey()])));
handlers.foreignKey = foreignKey.callback();

process.stdout.write(
  `${JSON.stringify({
    issuer: mainUrl,
    foreign_issuer: foreignIssuerUrl,
    foreign_key_token_url: `${foreignKeyUrl}/token`,
  })}\n`,
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
