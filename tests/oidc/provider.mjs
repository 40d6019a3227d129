// A real OpenID Connect provider for the sign-in tests: the npm registry's `oidc-provider`
// (a certified implementation, pinned in the root package.json), with its development
// login and consent pages.
//
//   node tests/oidc/provider.mjs <port> <accounts.json> <client.json>
//
// accounts.json maps a login name to the claims the provider asserts for it
// ({"alice": {"email": "alice@example.com", "email_verified": true, "groups": []}}); it is
// read again on every sign-in, so a test can change what the provider says between two
// sign-ins. client.json is the one registered client (client_id, client_secret,
// redirect_uris). Any password is accepted (devInteractions). PKCE (S256) is required.
// Prints "ready <issuer>" once it listens on 127.0.0.1.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, accountsFile, clientFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const client = JSON.parse(readFileSync(clientFile, 'utf8'));

const provider = new Provider(issuer, {
  clients: [{
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  // The claims of the granted scopes go into the ID token too (as Cognito, Entra ID and
  // Google do), not only to the userinfo endpoint.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['courtside-test-provider-cookie-key'] },
  async findAccount(_ctx, sub) {
    const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
    if (!Object.hasOwn(accounts, sub)) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...accounts[sub] };
      },
    };
  },
});
provider.proxy = false;

const server = provider.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
