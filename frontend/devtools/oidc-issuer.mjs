#!/usr/bin/env node
// A local OpenID Connect issuer standing in for Auth0 (tests and `npm run oidc-issuer`).
//
// It is the real `oidc-provider` package (a certified OpenID Provider) on loopback, configured the
// way the SPA uses Auth0: authorization code + PKCE for one public client (no secret), RS256 JWT
// access tokens for one API audience, the write scope `write:features` granted per user.
// Consent is skipped (a first-party app, as Auth0's "allow skipping user consent"); the login page
// is a plain form that a browser test can fill in.
//
//   node devtools/oidc-issuer.mjs --port 0 --client-id spa --redirect-uri http://127.0.0.1:5173/auth/callback \
//     --audience https://geoapi.test/api --user editor:secret:write:features --user viewer:secret:
//   (or --users-file FILE, JSON {"editor": {"password": "...", "scopes": ["write:features"]}}: what make local passes)
//
// Prints one JSON line when it listens: {"issuer": ..., "jwks_uri": ..., "kid": ...}; stops on SIGTERM.
// Defaults are listed in OPTIONS below. With --keys FILE (a JWKS holding one private RSA key with
// a `kid`), tokens are signed with that key, so a test can also mint tokens with it (e.g. expired ones).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

const OPTIONS = {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' }, // 0: any free port (read it from the printed issuer)
  'client-id': { type: 'string', default: 'geoapp-spa' },
  'redirect-uri': { type: 'string', multiple: true, default: ['http://127.0.0.1:5173/auth/callback'] },
  'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  audience: { type: 'string', default: 'https://geoapi.test/api' },
  'api-scope': { type: 'string', default: 'write:features' }, // every scope the API knows
  user: { type: 'string', multiple: true, default: ['editor:editor-pass:write:features', 'viewer:viewer-pass:'] },
  'users-file': { type: 'string' }, // JSON {"name": {"password": ..., "scopes": [...]}} instead of --user (no passwords in argv)
  keys: { type: 'string' }, // private JWKS file; default: a fresh RSA key per run
  'access-token-ttl': { type: 'string', default: '600' }, // seconds
};

function parseUsers(specs) {
  // "name:password:scope scope" -> Map(name -> {password, scopes})
  const users = new Map();
  for (const spec of specs) {
    const [name, password, ...rest] = spec.split(':');
    if (!name || !password) throw new Error(`--user ${spec}: expected name:password:scopes`);
    users.set(name, { password, scopes: rest.join(':').split(' ').filter(Boolean) });
  }
  return users;
}

function readUsersFile(file) {
  const users = new Map();
  for (const [name, user] of Object.entries(JSON.parse(readFileSync(file, 'utf8')))) {
    if (!name || typeof user?.password !== 'string' || !user.password) throw new Error(`${file}: user ${name}: expected {"password", "scopes"}`);
    users.set(name, { password: user.password, scopes: Array.isArray(user.scopes) ? user.scopes.map(String) : [] });
  }
  return users;
}

async function signingKeys(file) {
  if (file) {
    const jwks = JSON.parse(readFileSync(file, 'utf8'));
    if (!jwks.keys?.[0]?.kid || !jwks.keys[0].d) throw new Error(`${file}: expected {"keys": [a private RSA JWK with a kid]}`);
    return { keys: jwks.keys.map((k) => ({ alg: 'RS256', use: 'sig', ...k })) };
  }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { keys: [{ ...(await exportJWK(privateKey)), kid: `local-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' }] };
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, clientId, error) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Sign in (local issuer)</title></head>
<body>
<h1>Sign in to ${escapeHtml(clientId)}</h1>
<p>Local OpenID Connect issuer (a stand-in for Auth0).</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
  <label>User name <input name="login" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function main() {
  const { values: opt } = parseArgs({ options: OPTIONS, strict: true });
  const users = opt['users-file'] ? readUsersFile(opt['users-file']) : parseUsers(opt.user);
  const audience = opt.audience;
  const server = createServer();
  await new Promise((resolve) => server.listen(Number(opt.port), opt.host, resolve));
  const issuer = `http://${opt.host}:${server.address().port}`;
  const jwks = await signingKeys(opt.keys);

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: opt['client-id'],
        token_endpoint_auth_method: 'none', // a public SPA client: PKCE instead of a secret
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: opt['redirect-uri'],
        post_logout_redirect_uris: opt['post-logout-redirect-uri'],
      },
    ],
    jwks,
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    async findAccount(_ctx, sub) {
      if (!users.has(sub)) return undefined;
      return { accountId: sub, claims: () => ({ sub, name: sub, email: `${sub}@example.test` }) };
    },
    pkce: { required: () => true },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    ttl: { AccessToken: Number(opt['access-token-ttl']), IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // sign out at once (no confirmation page): the SPA asked for it
        logoutSource: (ctx, form) => {
          ctx.body = `<!doctype html><html><head><link rel="icon" href="data:,"><title>Signing out</title></head><body>${form}<button form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
        },
      },
      // Auth0 issues a JWT for the API named by `audience`; oidc-provider does the same with
      // resource indicators (RFC 8707) when the resource server wants the "jwt" format.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator) {
          if (indicator !== audience) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          return { audience, scope: opt['api-scope'], accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
  });

  // The interaction endpoints (login, then consent granted without asking).
  async function interaction(req, res, uid) {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session, grantId } = details;
    if (prompt.name === 'login') {
      if (req.method === 'POST') {
        const form = await readForm(req);
        const user = users.get(form.get('login') ?? '');
        if (user && user.password === form.get('password')) {
          await provider.interactionFinished(req, res, { login: { accountId: form.get('login') } }, { mergeWithLastSubmission: false });
          return;
        }
        res.statusCode = 401;
      }
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.end(loginPage(uid, params.client_id, req.method === 'POST' ? 'Wrong user name or password.' : ''));
      return;
    }
    if (prompt.name === 'consent') {
      const accountId = session.accountId;
      const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      // the API scopes this user holds (Auth0: the user's permissions on the API)
      const allowed = new Set(users.get(accountId)?.scopes ?? []);
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
        const granted = scopes.filter((s) => allowed.has(s));
        const refused = scopes.filter((s) => !allowed.has(s));
        if (granted.length) grant.addResourceScope(indicator, granted.join(' '));
        // rejected, not just left out: otherwise consent would be asked for them again, forever
        if (refused.length) grant.rejectResourceScope(indicator, refused.join(' '));
      }
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
      return;
    }
    res.statusCode = 501;
    res.end(`prompt ${prompt.name} is not implemented here`);
  }

  const handle = provider.callback();
  server.on('request', (req, res) => {
    const match = /^\/interaction\/([\w-]+)$/.exec(new URL(req.url, issuer).pathname);
    if (!match) {
      handle(req, res);
      return;
    }
    interaction(req, res, match[1]).catch((err) => {
      console.error(err);
      res.statusCode = 400;
      res.end(`interaction failed: ${err.message}`);
    });
  });
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'userinfo.error', 'jwks.error', 'discovery.error']) {
    provider.on(event, (_ctx, err) => console.error(`${event}: ${err.message}${err.error_detail ? ` (${err.error_detail})` : ''}`));
  }

  process.stdout.write(`${JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, kid: jwks.keys[0].kid })}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(`oidc-issuer: ${err.stack ?? err}`);
  process.exit(1);
});
