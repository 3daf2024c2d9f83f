import type { Collection } from '@/types/api';

export function CollectionPicker({
  collections,
  current,
  onChange,
}: {
  collections: Collection[];
  current: string | null;
  onChange: (id: string) => void;
}) {
  return (
    <label className="collection-picker">
      <span>Collection</span>
      <select value={current ?? ''} onChange={(e) => onChange(e.target.value)} aria-label="Collection">
        {current === null ? <option value="">Choose…</option> : null}
        {collections.map((c) => (
          <option key={c.id} value={c.id}>
            {c.title || c.id}
          </option>
        ))}
      </select>
    </label>
  );
}
