import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sendJson, startServer, type TestServer } from '@/testing/http-server';

import { ConfigError, loadConfig, parseConfig } from './env';

const AUTH0 = { domain: 'tenant.eu.auth0.com', clientId: 'spa-client', audience: 'https://geoapi.example/api' };
const VALID = { apiBase: '/api', auth0: AUTH0, basemapStyleUrl: null, defaultCollection: 'places', publicReads: true };

let server: TestServer;
const documents: Record<string, { status: number; body: unknown; type?: string }> = {
  '/config.json': { status: 200, body: VALID },
  '/no-auth.json': { status: 200, body: { apiBase: 'https://api.example.org/api/', auth0: null, publicReads: false } },
  '/missing-client.json': { status: 200, body: { ...VALID, auth0: { domain: AUTH0.domain, audience: AUTH0.audience } } },
  '/not-json.json': { status: 200, body: '<html>oops</html>', type: 'text/html' },
};

beforeAll(async () => {
  server = await startServer((_req, res, url) => {
    const doc = documents[url.pathname];
    if (!doc) return sendJson(res, 404, { title: 'Not Found' });
    sendJson(res, doc.status, doc.body, doc.type);
  });
});
afterAll(() => server.close());

describe('loadConfig', () => {
  it('reads config.json and resolves a relative apiBase against it', async () => {
    const config = await loadConfig(`${server.url}/config.json`);
    expect(config).toEqual({
      apiBase: `${server.url}/api`,
      auth: { authority: 'https://tenant.eu.auth0.com/', clientId: 'spa-client', audience: 'https://geoapi.example/api' },
      basemapStyleUrl: null,
      defaultCollection: 'places',
      publicReads: true,
    });
  });

  it('takes an absolute apiBase as it is (without the trailing slash) and auth0: null as no sign-in', async () => {
    const config = await loadConfig(`${server.url}/no-auth.json`);
    expect(config.apiBase).toBe('https://api.example.org/api');
    expect(config.auth).toBeNull();
    expect(config.publicReads).toBe(false);
    expect(config.defaultCollection).toBeNull();
  });

  it('names the missing field', async () => {
    await expect(loadConfig(`${server.url}/missing-client.json`)).rejects.toThrow(/auth0\.clientId/);
  });

  it('says so when the file is not there or not JSON', async () => {
    await expect(loadConfig(`${server.url}/nowhere.json`)).rejects.toThrow(/HTTP 404/);
    await expect(loadConfig(`${server.url}/not-json.json`)).rejects.toThrow(/not JSON/);
  });

  it('says so when the server cannot be reached', async () => {
    await expect(loadConfig('http://127.0.0.1:1/config.json')).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('parseConfig', () => {
  const base = 'https://site.example/config.json';

  it('takes an OIDC authority (a plain-HTTP local issuer) instead of an Auth0 domain', () => {
    const config = parseConfig({ ...VALID, auth0: { authority: 'http://127.0.0.1:9000', clientId: 'c', audience: 'a' } }, base);
    expect(config.auth?.authority).toBe('http://127.0.0.1:9000');
  });

  it.each([
    ['both domain and authority', { ...AUTH0, authority: 'https://issuer.example/' }],
    ['neither domain nor authority', { clientId: 'c', audience: 'a' }],
  ])('refuses %s', (_name, auth0) => {
    expect(() => parseConfig({ ...VALID, auth0 }, base)).toThrow(/exactly one of auth0.domain and auth0.authority/);
  });

  it.each([
    ['no publicReads', { apiBase: '/api', auth0: null }, /publicReads/],
    ['an empty apiBase', { ...VALID, apiBase: ' ' }, /apiBase/],
    ['a basemap that is not a URL', { ...VALID, basemapStyleUrl: 'tiles please' }, /basemapStyleUrl/],
    ['a javascript: authority', { ...VALID, auth0: { authority: 'javascript:alert(1)', clientId: 'c', audience: 'a' } }, /authority/],
    ['not an object', ['/api'], /object/],
  ])('refuses %s', (_name, raw, message) => {
    expect(() => parseConfig(raw, base)).toThrow(message);
  });

  it('keeps a basemap style URL', () => {
    const config = parseConfig({ ...VALID, basemapStyleUrl: 'https://tiles.example/style.json' }, base);
    expect(config.basemapStyleUrl).toBe('https://tiles.example/style.json');
  });
});
