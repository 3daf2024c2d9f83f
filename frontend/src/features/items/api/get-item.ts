import { useQuery } from '@tanstack/react-query';

import type { ApiClient } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-context';
import type { FeatureId, Item } from '@/types/api';

export const itemPath = (collectionId: string, id: FeatureId) =>
  `collections/${encodeURIComponent(collectionId)}/items/${encodeURIComponent(String(id))}`;

export function getItem(client: ApiClient, collectionId: string, id: FeatureId, signal?: AbortSignal): Promise<Item> {
  return client.get<Item>(itemPath(collectionId, id), { signal });
}

export function useItem(collectionId: string | null, id: FeatureId | null) {
  const client = useApiClient();
  return useQuery({
    queryKey: ['item', collectionId, id],
    queryFn: ({ signal }) => getItem(client, collectionId!, id!, signal),
    enabled: collectionId !== null && id !== null,
    retry: (count, error) => count < 2 && (error as { status?: number }).status !== 404,
  });
}
