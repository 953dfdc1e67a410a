// node-oidc-provider 9 as a machine-to-machine token server, set up the way a production
// deployment issuing JWT access tokens for one API would be, so that its CPU per token can be
// compared with ours. Usage: NODE_ENV=production node server.mjs [RS256|ES256]
// Prints one JSON line {"ready":true,"port":…,"pid":…,…} on stdout once it answers.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

import Provider from 'oidc-provider';

const alg = process.argv[2] ?? process.env.ALG ?? 'RS256';
const KEYS = {
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
};
if (!KEYS[alg]) {
  console.error(`unsupported alg ${alg}; use RS256 or ES256`);
  process.exit(2);
}

// Fresh keys each start: the benchmark measures signing, not key management.
const jwk = { ...KEYS[alg]().privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `bench-${alg}` };

const RESOURCE = 'https://api.example.test';
const SCOPE = 'api:read';
// Two identical clients, one per authentication method, so the load generator can use either.
const CLIENTS = {
  client_secret_post: { id: 'bench-post', secret: 'bench-secret-post-0123456789abcdef' },
  client_secret_basic: { id: 'bench-basic', secret: 'bench-secret-basic-0123456789abcdef' },
};

// The issuer must carry the real port, so listen first and attach the provider afterwards.
const server = createServer();
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: Object.entries(CLIENTS).map(([method, { id, secret }]) => ({
    client_id: id,
    client_secret: secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: method,
    scope: SCOPE,
  })),
  // Client metadata defaults to RS256 id_tokens, which an ES256-only keystore cannot sign.
  clientDefaults: { id_token_signed_response_alg: alg },
  jwks: { keys: [jwk] },
  scopes: [SCOPE],
  features: {
    // Off: it serves a login form, nothing a token server in production would expose.
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // The resource server is what makes node-oidc-provider issue JWTs instead of opaque
    // tokens kept in the adapter; every request gets it without sending `resource`.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== RESOURCE) throw new Provider.errors.InvalidTarget();
        return {
          scope: SCOPE,
          audience: RESOURCE,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  // Silences the one-off "you SHOULD change clientBasedCORS" warning; no browser calls here.
  clientBasedCORS: () => false,
});

server.on('request', provider.callback());

const { version } = createRequire(import.meta.url)('oidc-provider/package.json');
console.log(JSON.stringify({
  ready: true, port, pid: process.pid, alg, version, node: process.version,
  env: process.env.NODE_ENV ?? '', resource: RESOURCE, scope: SCOPE, clients: CLIENTS,
}));

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
