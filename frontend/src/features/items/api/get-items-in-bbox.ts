import { experimental_streamedQuery as streamedQuery, keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import type { ApiClient } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-context';
import type { BBox, Item, ItemsPage } from '@/types/api';

/** Features asked for per request: the API's largest page (backend/geoapi/core/params.py MAX_LIMIT). */
export const PAGE_SIZE = 1000;
/** Most features drawn for one view; beyond this the app asks the user to zoom in. */
export const MAX_FEATURES = 10_000;

export interface ItemsInView {
  features: Item[];
  /** true when the view holds more than `maxFeatures` (the `next` link was not followed). */
  truncated: boolean;
  /** Requests made. */
  pages: number;
  /** false while more pages are being fetched (the first page is drawn before the rest arrive). */
  complete: boolean;
}

export interface PagingOptions {
  pageSize?: number;
  maxFeatures?: number;
  signal?: AbortSignal;
}

/** `minLon,minLat,maxLon,maxLat` with 6 decimals (about 0.1 m), so equal views make equal URLs. */
export function bboxParam(bbox: BBox): string {
  return bbox.map((v) => Number(v.toFixed(6)).toString()).join(',');
}

export function itemsUrl(collectionId: string, bbox: BBox, limit: number): string {
  // digits, '-', '.' and ',' only: readable in logs without escaping (',' is allowed in a query)
  return `collections/${encodeURIComponent(collectionId)}/items?bbox=${bboxParam(bbox)}&limit=${Math.trunc(limit)}`;
}

/**
 * The features of a collection inside `bbox`: the first page, then its `next` links, until there
 * is no `next` or `maxFeatures` are in hand. A page that comes back with more than asked is cut.
 * Yields twice when there are several pages: after the first (so the map can draw at once, with
 * `complete: false`) and at the end; once otherwise.
 */
export async function* streamItemsInBbox(
  client: ApiClient,
  collectionId: string,
  bbox: BBox,
  options: PagingOptions = {},
): AsyncGenerator<ItemsInView, void, undefined> {
  const maxFeatures = options.maxFeatures ?? MAX_FEATURES;
  const pageSize = Math.min(options.pageSize ?? PAGE_SIZE, maxFeatures);
  const features: Item[] = [];
  const seen = new Set<string>();
  let next: string | undefined = itemsUrl(collectionId, bbox, pageSize);
  let pages = 0;
  while (next) {
    if (seen.has(next)) throw new Error(`the API's next link repeats itself: ${next}`);
    seen.add(next);
    const page: ItemsPage = await client.get<ItemsPage>(next, { signal: options.signal });
    pages += 1;
    features.push(...page.features.slice(0, maxFeatures - features.length));
    next = page.links?.find((link) => link.rel === 'next')?.href;
    if (next && features.length >= maxFeatures) {
      yield { features: [...features], truncated: true, pages, complete: true };
      return;
    }
    if (next && pages === 1) yield { features: [...features], truncated: false, pages, complete: false };
  }
  yield { features, truncated: false, pages, complete: true };
}

/** All of {@link streamItemsInBbox} at once. */
export async function getItemsInBbox(client: ApiClient, collectionId: string, bbox: BBox, options: PagingOptions = {}): Promise<ItemsInView> {
  let last: ItemsInView | undefined;
  for await (const snapshot of streamItemsInBbox(client, collectionId, bbox, options)) last = snapshot;
  return last!;
}

const NOTHING_YET: ItemsInView = { features: [], truncated: false, pages: 0, complete: false };

export const itemsQueryKey = (collectionId: string, bbox: BBox | null) => ['items', collectionId, bbox ? bboxParam(bbox) : null] as const;

/** The query of one view: used by the hook, and to start fetching the moment the map moves. */
export function itemsQuery(client: ApiClient, collectionId: string, bbox: BBox) {
  return queryOptions({
    queryKey: itemsQueryKey(collectionId, bbox),
    // each snapshot replaces the last; a refetch (after an edit) keeps showing the old data until it is done
    queryFn: streamedQuery<ItemsInView, ItemsInView, ReturnType<typeof itemsQueryKey>>({
      streamFn: ({ signal }) => streamItemsInBbox(client, collectionId, bbox, { signal }),
      reducer: (_previous: ItemsInView, snapshot: ItemsInView) => snapshot,
      initialValue: NOTHING_YET,
      refetchMode: 'replace',
    }),
    staleTime: 30_000,
  });
}

export function useItemsInBbox(collectionId: string | null, bbox: BBox | null) {
  const client = useApiClient();
  return useQuery({
    ...itemsQuery(client, collectionId ?? '', bbox ?? [0, 0, 0, 0]),
    enabled: Boolean(collectionId && bbox),
    // keep drawing the last view's features while the new view loads (no flashing map)
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[1] === collectionId ? keepPreviousData(previous) : undefined),
  });
}
