/** Create, replace and delete (OGC API - Features Part 4); each needs a token with `write:features`. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Geometry, Point } from 'geojson';

import type { ApiClient } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-context';
import type { FeatureId, Item } from '@/types/api';

import { itemPath } from './get-item';

export type Properties = Record<string, unknown>;

export async function createItem(client: ApiClient, collectionId: string, geometry: Point, properties: Properties): Promise<Item> {
  const created = await client.send<Item>('POST', `collections/${encodeURIComponent(collectionId)}/items`, {
    type: 'Feature',
    geometry,
    properties,
  });
  if (!created) throw new Error('the API answered the create without the new feature');
  return created;
}

export async function replaceItem(client: ApiClient, collectionId: string, id: FeatureId, geometry: Geometry, properties: Properties): Promise<Item> {
  const replaced = await client.send<Item>('PUT', itemPath(collectionId, id), { type: 'Feature', geometry, properties });
  if (!replaced) throw new Error('the API answered the replace without the feature');
  return replaced;
}

export async function deleteItem(client: ApiClient, collectionId: string, id: FeatureId): Promise<void> {
  await client.send('DELETE', itemPath(collectionId, id));
}

function useRefreshAfterWrite(collectionId: string) {
  const queryClient = useQueryClient();
  return (id: FeatureId, { removed = false } = {}) => {
    void queryClient.invalidateQueries({ queryKey: ['items', collectionId] });
    void queryClient.invalidateQueries({ queryKey: ['collections'] }); // the extent may have changed
    if (removed) queryClient.removeQueries({ queryKey: ['item', collectionId, id] });
    else void queryClient.invalidateQueries({ queryKey: ['item', collectionId, id] });
  };
}

export function useCreateItem(collectionId: string) {
  const client = useApiClient();
  const refresh = useRefreshAfterWrite(collectionId);
  return useMutation({
    mutationFn: (input: { geometry: Point; properties: Properties }) => createItem(client, collectionId, input.geometry, input.properties),
    onSuccess: (item) => refresh(item.id),
  });
}

export function useReplaceItem(collectionId: string) {
  const client = useApiClient();
  const refresh = useRefreshAfterWrite(collectionId);
  return useMutation({
    mutationFn: (input: { id: FeatureId; geometry: Geometry; properties: Properties }) =>
      replaceItem(client, collectionId, input.id, input.geometry, input.properties),
    onSuccess: (item) => refresh(item.id),
  });
}

export function useDeleteItem(collectionId: string) {
  const client = useApiClient();
  const refresh = useRefreshAfterWrite(collectionId);
  return useMutation({
    mutationFn: (id: FeatureId) => deleteItem(client, collectionId, id),
    onSuccess: (_data, id) => refresh(id, { removed: true }),
  });
}
