import { queryOptions, useQuery } from '@tanstack/react-query';

import { useApiClient } from '@/lib/api-context';
import type { ApiClient } from '@/lib/api-client';
import type { BBox, Collection, CollectionsDocument } from '@/types/api';

export function getCollections(client: ApiClient, signal?: AbortSignal): Promise<CollectionsDocument> {
  return client.get<CollectionsDocument>('collections', { signal });
}

export function collectionsQuery(client: ApiClient) {
  return queryOptions({
    queryKey: ['collections'],
    queryFn: ({ signal }) => getCollections(client, signal),
    staleTime: 5 * 60_000,
  });
}

export function useCollections() {
  return useQuery(collectionsQuery(useApiClient()));
}

/** The collection's spatial extent (first bbox, 2D), or null when it has none (an empty collection). */
export function extentOf(collection: Collection): BBox | null {
  const box = collection.extent?.spatial?.bbox?.[0];
  if (!box || (box.length !== 4 && box.length !== 6)) return null;
  const [minLon, minLat] = box;
  const [maxLon, maxLat] = box.length === 6 ? [box[3], box[4]] : [box[2], box[3]];
  const values = [minLon, minLat, maxLon, maxLat];
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return values as BBox;
}

/** Which collection to show: the URL's, else the configured default, else the first listed. */
export function chooseCollection(collections: Collection[], fromUrl: string | null, configured: string | null): Collection | null {
  if (fromUrl) return collections.find((c) => c.id === fromUrl) ?? null;
  if (configured) {
    const found = collections.find((c) => c.id === configured);
    if (found) return found;
  }
  return collections[0] ?? null;
}
