import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sendJson, startServer, type TestServer } from '@/testing/http-server';

import { ApiError, createApiClient } from './api-client';

let server: TestServer;
const seen: { method: string; auth?: string; type?: string; body: string }[] = [];

beforeAll(async () => {
  server = await startServer((req, res, url) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', auth: req.headers.authorization, type: req.headers['content-type'], body });
      switch (url.pathname) {
        case '/api/problem':
          return sendJson(res, 401, { title: 'Unauthorized', detail: 'token expired', status: 401 }, 'application/problem+json');
        case '/api/ogc-exception':
          return sendJson(res, 404, { code: 'NotFound', description: "collection 'x' not found" });
        case '/api/html-error':
          res.writeHead(502, 'Bad Gateway', { 'Content-Type': 'text/html' });
          return res.end('<html>bad gateway</html>');
        case '/api/items/1':
          if (req.method === 'DELETE') {
            res.writeHead(204);
            return res.end();
          }
          return sendJson(res, 200, { id: 1, echo: body ? (JSON.parse(body) as unknown) : null });
        default:
          return sendJson(res, 200, { ok: true });
      }
    });
  });
});
afterAll(() => server.close());

describe('api client', () => {
  it('sends the access token when signed in, and none otherwise', async () => {
    await createApiClient({ apiBase: `${server.url}/api/`, getAccessToken: () => 'tok' }).get('collections');
    await createApiClient({ apiBase: `${server.url}/api` }).get('collections');
    expect(seen.at(-2)?.auth).toBe('Bearer tok');
    expect(seen.at(-1)?.auth).toBeUndefined();
  });

  it('sends GeoJSON bodies and reads 204 as no content', async () => {
    const client = createApiClient({ apiBase: `${server.url}/api` });
    expect(await client.send('PUT', 'items/1', { type: 'Feature' })).toEqual({ id: 1, echo: { type: 'Feature' } });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', type: 'application/geo+json' });
    expect(await client.send('DELETE', 'items/1')).toBeUndefined();
  });

  it('follows absolute URLs (next links) as they are', () => {
    const client = createApiClient({ apiBase: `${server.url}/api` });
    expect(client.url('https://other.example/api/x?offset=10')).toBe('https://other.example/api/x?offset=10');
    expect(client.url('/collections')).toBe(`${server.url}/api/collections`);
  });

  it.each([
    ['problem JSON', '/problem', { status: 401, title: 'Unauthorized', detail: 'token expired' }],
    ['an OGC exception', '/ogc-exception', { status: 404, title: 'NotFound', detail: "collection 'x' not found" }],
    ['a non-JSON error page', '/html-error', { status: 502, title: 'Bad Gateway', detail: undefined }],
  ])('turns %s into an ApiError with title and detail', async (_name, path, expected) => {
    const error = await createApiClient({ apiBase: `${server.url}/api` })
      .get(path)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject(expected);
  });

  it('says the API cannot be reached when nothing answers', async () => {
    const error = await createApiClient({ apiBase: 'http://127.0.0.1:1/api' })
      .get('collections')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, title: 'The API cannot be reached' });
  });
});
