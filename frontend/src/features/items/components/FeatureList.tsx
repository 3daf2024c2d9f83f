import type { FeatureId, Item } from '@/types/api';

import { labelOf } from '../properties';

/** Rows drawn in the list; the map still draws every feature in view. */
export const LIST_LIMIT = 200;

export function FeatureList({ items, selectedId, onSelect }: { items: Item[]; selectedId: FeatureId | null; onSelect: (id: FeatureId) => void }) {
  const shown = items.slice(0, LIST_LIMIT);
  return (
    <>
      <ul className="feature-list" aria-label="Features in view">
        {shown.map((item) => (
          <li key={item.id}>
            <button
              type="button"
              className={item.id === selectedId ? 'selected' : undefined}
              aria-current={item.id === selectedId ? 'true' : undefined}
              onClick={() => onSelect(item.id)}
              data-feature-id={item.id}
            >
              <span className="feature-label">{labelOf(item)}</span>
              <span className="feature-kind">{item.geometry?.type ?? 'no geometry'}</span>
            </button>
          </li>
        ))}
      </ul>
      {items.length > shown.length ? <p className="hint">and {items.length - shown.length} more in view (zoom in to list them)</p> : null}
    </>
  );
}
