import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';

import { ProblemMessage } from '@/components/ProblemMessage';
import type { RuntimeConfig } from '@/config/env';
import { SessionControls } from '@/features/auth/components/SessionControls';
import { chooseCollection, extentOf, useCollections } from '@/features/collections/api/get-collections';
import { CollectionPicker } from '@/features/collections/components/CollectionPicker';
import { itemsQuery, MAX_FEATURES, useItemsInBbox } from '@/features/items/api/get-items-in-bbox';
import { useCreateItem } from '@/features/items/api/mutations';
import { FeatureDetails } from '@/features/items/components/FeatureDetails';
import { FeatureList } from '@/features/items/components/FeatureList';
import { MapView, type FitTarget } from '@/features/map/components/MapView';
import { useApiClient } from '@/lib/api-context';
import { useSession } from '@/lib/auth';
import { formatUrlState, parseUrlState, type View } from '@/lib/url-state';
import type { BBox, FeatureId, Item } from '@/types/api';

const NO_ITEMS: Item[] = [];
const round6 = (v: number) => Number(v.toFixed(6));

export function MapScreen({ config }: { config: RuntimeConfig }) {
  const [initial] = useState(() => parseUrlState(window.location));
  const session = useSession();
  const client = useApiClient();
  const queryClient = useQueryClient();
  const collections = useCollections();
  const [chosen, setChosen] = useState<string | null>(initial.collection);
  const [view, setView] = useState<View | null>(initial.view);
  const [bbox, setBbox] = useState<BBox | null>(null);
  const [selected, setSelected] = useState<{ id: FeatureId; editing: boolean } | null>(
    initial.feature === null ? null : { id: initial.feature, editing: false },
  );
  const [addMode, setAddMode] = useState(false);

  const all = collections.data?.collections;
  const current = all ? chooseCollection(all, chosen, config.defaultCollection) : null;
  const items = useItemsInBbox(current?.id ?? null, bbox);
  const create = useCreateItem(current?.id ?? '');
  const canWrite = session.canWrite && current !== null;

  const fitTarget = useMemo<FitTarget | null | undefined>(() => {
    if (!current) return collections.isPending ? undefined : null;
    const box = extentOf(current);
    return box ? { key: current.id, bbox: box } : null;
  }, [current, collections.isPending]);

  // the address bar follows the map (replaceState: panning does not fill the history)
  const currentId = current?.id ?? null;
  const selectedId = selected?.id ?? null;
  useEffect(() => {
    if (!currentId) return;
    const next = formatUrlState({ collection: currentId, view, feature: selectedId });
    if (next !== window.location.pathname + window.location.search) window.history.replaceState(null, '', next);
  }, [currentId, view, selectedId]);

  useEffect(() => {
    document.title = current ? `${current.title || current.id} · map` : 'GeoApp map';
  }, [current]);

  const chooseOther = (id: string) => {
    setChosen(id);
    setSelected(null);
    setAddMode(false);
  };

  const addPoint = ([lon, lat]: [number, number]) => {
    create.mutate(
      { geometry: { type: 'Point', coordinates: [round6(lon), round6(lat)] }, properties: { name: 'New point' } },
      {
        onSuccess: (item) => {
          setSelected({ id: item.id, editing: true });
          setAddMode(false);
        },
      },
    );
  };

  const features = items.data?.features ?? NO_ITEMS;

  return (
    <div className="layout">
      <header className="topbar">
        <h1 className="collection-title" data-testid="collection-title">
          {current ? current.title || current.id : 'GeoApp map'}
        </h1>
        {all && all.length > 0 ? <CollectionPicker collections={all} current={current?.id ?? null} onChange={chooseOther} /> : null}
        <SessionControls />
      </header>
      <main className="body">
        <MapView
          styleUrl={config.basemapStyleUrl}
          items={features}
          selectedId={selectedId}
          initialView={initial.view}
          fitTarget={fitTarget}
          addMode={addMode && canWrite}
          onViewChange={(v, b) => {
            // start fetching now, not after the next render (MapLibre may hold the main thread a while)
            if (current) void queryClient.prefetchQuery(itemsQuery(client, current.id, b));
            setView(v);
            setBbox(b);
          }}
          onSelect={(id) => setSelected({ id, editing: false })}
          onAddPoint={addPoint}
        />
        <aside className="panel" aria-label="Features">
          {collections.isPending ? <p role="status">Loading collections…</p> : null}
          {collections.isError ? <ProblemMessage error={collections.error} context="The collections could not be loaded." /> : null}
          {all && all.length === 0 ? <p role="status">The API has no collections yet.</p> : null}
          {all && chosen && !current ? (
            <ProblemMessage error={new Error(`There is no collection "${chosen}". Choose another one above.`)} context="Not found" />
          ) : null}
          {current?.description ? <p className="description">{current.description}</p> : null}

          {canWrite ? (
            <div className="edit-tools">
              <button type="button" aria-pressed={addMode} onClick={() => setAddMode(!addMode)}>
                {addMode ? 'Click the map to place the point (cancel)' : 'Add point'}
              </button>
              {create.isPending ? <span role="status">Adding…</span> : null}
              {create.isError ? <ProblemMessage error={create.error} context="The point was not added." /> : null}
            </div>
          ) : null}

          {current && selected ? (
            <FeatureDetails
              key={`${current.id}/${selected.id}`}
              collectionId={current.id}
              id={selected.id}
              canWrite={canWrite}
              startEditing={selected.editing}
              onClose={() => setSelected(null)}
            />
          ) : null}

          {current ? <ItemsStatus query={items} /> : null}
          {current && features.length > 0 ? (
            <FeatureList items={features} selectedId={selectedId} onSelect={(id) => setSelected({ id, editing: false })} />
          ) : null}
        </aside>
      </main>
    </div>
  );
}

function ItemsStatus({ query }: { query: ReturnType<typeof useItemsInBbox> }) {
  if (query.isError) return <ProblemMessage error={query.error} context="The features in this view could not be loaded." />;
  if (query.isPending) {
    return (
      <p role="status" className="status">
        Loading features…
      </p>
    );
  }
  const { features, truncated } = query.data;
  return (
    <p role="status" className="status" data-testid="items-status">
      {features.length === 0 ? 'No features in this view.' : `${features.length.toLocaleString('en')} features in view`}
      {truncated ? ` (the first ${MAX_FEATURES.toLocaleString('en')}: zoom in to see all)` : ''}
      {query.isFetching ? ' · updating…' : ''}
    </p>
  );
}
