import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ApiError, createApiClient } from '@/lib/api-client';
import { sendJson, startServer, type TestServer } from '@/testing/http-server';
import type { BBox } from '@/types/api';

import { bboxParam, getItemsInBbox, itemsUrl, streamItemsInBbox } from './get-items-in-bbox';

/**
 * A small OGC API items endpoint: `total` point features in collection "pts", served `limit` at
 * a time with absolute `next` links (offset paging, as the real API does).
 */
let server: TestServer;
let total = 0;
let nextLinkOverride: ((offset: number, limit: number) => string | undefined) | null = null;

beforeAll(async () => {
  server = await startServer((_req, res, url, base) => {
    if (url.pathname === '/api/collections/broken/items') {
      return sendJson(res, 400, { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'bbox crosses the antimeridian' }, 'application/problem+json');
    }
    if (url.pathname !== '/api/collections/pts/items') return sendJson(res, 404, { code: 'NotFound', description: 'no such collection' });
    const limit = Number(url.searchParams.get('limit') ?? 10);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const count = Math.max(0, Math.min(limit, total - offset));
    const features = Array.from({ length: count }, (_, i) => ({
      type: 'Feature',
      id: offset + i + 1,
      geometry: { type: 'Point', coordinates: [0, 0] },
      properties: { n: offset + i + 1 },
    }));
    const links = [{ rel: 'self', href: `${base}${url.pathname}${url.search}` }];
    const next = nextLinkOverride
      ? nextLinkOverride(offset, limit)
      : offset + limit < total
        ? `${base}/api/collections/pts/items?bbox=${url.searchParams.get('bbox')}&limit=${limit}&offset=${offset + limit}`
        : undefined;
    if (next) links.push({ rel: 'next', href: next });
    sendJson(res, 200, { type: 'FeatureCollection', features, links, numberReturned: count }, 'application/geo+json');
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  nextLinkOverride = null;
});

const BOX: BBox = [-10, 35.5, 20.123456789, 60];
const client = () => createApiClient({ apiBase: `${server.url}/api` });

describe('getItemsInBbox', () => {
  it('asks for the bbox and follows next links until the last page', async () => {
    total = 25;
    const result = await getItemsInBbox(client(), 'pts', BOX, { pageSize: 10, maxFeatures: 100 });
    expect(result.features.map((f) => f.id)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(result).toMatchObject({ truncated: false, pages: 3 });
    expect(server.requests).toEqual([
      '/api/collections/pts/items?bbox=-10,35.5,20.123457,60&limit=10',
      '/api/collections/pts/items?bbox=-10,35.5,20.123457,60&limit=10&offset=10',
      '/api/collections/pts/items?bbox=-10,35.5,20.123457,60&limit=10&offset=20',
    ]);
  });

  it('stops at the cap and says that more are in view', async () => {
    total = 1000;
    const result = await getItemsInBbox(client(), 'pts', BOX, { pageSize: 30, maxFeatures: 70 });
    expect(result.features).toHaveLength(70);
    expect(result.features.at(-1)?.id).toBe(70);
    expect(result).toMatchObject({ truncated: true, pages: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it('is not truncated when the cap is reached exactly on the last page', async () => {
    total = 60;
    const result = await getItemsInBbox(client(), 'pts', BOX, { pageSize: 30, maxFeatures: 60 });
    expect(result).toMatchObject({ truncated: false, pages: 2 });
    expect(result.features).toHaveLength(60);
  });

  it('never asks for more than the cap in one page', async () => {
    total = 5;
    await getItemsInBbox(client(), 'pts', BOX, { pageSize: 2500, maxFeatures: 50 });
    expect(server.requests[0]).toContain('limit=50');
  });

  it('returns an empty result for an empty view', async () => {
    total = 0;
    expect(await getItemsInBbox(client(), 'pts', BOX)).toEqual({ features: [], truncated: false, pages: 1, complete: true });
  });

  it('hands over the first page before fetching the rest (the map draws at once)', async () => {
    total = 25;
    const snapshots = [];
    for await (const snapshot of streamItemsInBbox(client(), 'pts', BOX, { pageSize: 10 })) {
      snapshots.push({ count: snapshot.features.length, complete: snapshot.complete, requestsSoFar: server.requests.length });
    }
    expect(snapshots).toEqual([
      { count: 10, complete: false, requestsSoFar: 1 },
      { count: 25, complete: true, requestsSoFar: 3 },
    ]);
  });

  it('refuses a next link that loops', async () => {
    total = 100;
    nextLinkOverride = () => `${server.url}/api/collections/pts/items?limit=10&offset=10`;
    await expect(getItemsInBbox(client(), 'pts', BOX, { pageSize: 10 })).rejects.toThrow(/repeats itself/);
  });

  it("surfaces the API's problem title and detail", async () => {
    const error = await getItemsInBbox(client(), 'broken', BOX).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, title: 'Bad Request', detail: 'bbox crosses the antimeridian' });
  });

  it('can be aborted (a newer view replaces it)', async () => {
    total = 100;
    const controller = new AbortController();
    controller.abort();
    await expect(getItemsInBbox(client(), 'pts', BOX, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('itemsUrl', () => {
  it('rounds the bbox to 6 decimals and escapes the collection id', () => {
    expect(bboxParam([-180, -90, 180, 90])).toBe('-180,-90,180,90');
    expect(itemsUrl('a b/c', [1.0000001, 2, 3, 4], 10)).toBe('collections/a%20b%2Fc/items?bbox=1,2,3,4&limit=10');
  });
});
