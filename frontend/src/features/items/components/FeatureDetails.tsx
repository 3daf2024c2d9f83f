import { useState, type FormEvent } from 'react';

import { ProblemMessage } from '@/components/ProblemMessage';
import type { FeatureId, Item } from '@/types/api';

import { useItem } from '../api/get-item';
import { useDeleteItem, useReplaceItem } from '../api/mutations';
import { formatValue, labelOf, propertiesOf, PropertiesError, rowsOf, type PropertyRow } from '../properties';

interface Props {
  collectionId: string;
  id: FeatureId;
  canWrite: boolean;
  /** Open in edit mode (a point that was just added). */
  startEditing?: boolean;
  onClose: () => void;
}

export function FeatureDetails({ collectionId, id, canWrite, startEditing = false, onClose }: Props) {
  const item = useItem(collectionId, id);
  const [editing, setEditing] = useState(startEditing);

  return (
    <section className="feature-details" aria-label="Feature properties">
      <header>
        <h2>{item.data ? labelOf(item.data) : `Feature ${id}`}</h2>
        <button type="button" className="link" onClick={onClose} aria-label="Close properties">
          ×
        </button>
      </header>
      {item.isPending ? <p role="status">Loading the feature…</p> : null}
      {item.isError ? <ProblemMessage error={item.error} context="This feature could not be loaded." /> : null}
      {item.data && !editing ? <PropertiesTable item={item.data} /> : null}
      {item.data && canWrite && editing ? (
        <PropertiesForm collectionId={collectionId} item={item.data} onDone={() => setEditing(false)} />
      ) : null}
      {item.data && canWrite && !editing ? <WriteActions collectionId={collectionId} item={item.data} onEdit={() => setEditing(true)} onDeleted={onClose} /> : null}
    </section>
  );
}

function PropertiesTable({ item }: { item: Item }) {
  const entries = Object.entries(item.properties ?? {});
  return (
    <table className="properties">
      <tbody>
        <tr>
          <th scope="row">id</th>
          <td>{String(item.id)}</td>
        </tr>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{formatValue(value)}</td>
          </tr>
        ))}
        {entries.length === 0 ? (
          <tr>
            <td colSpan={2}>No properties.</td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}

function WriteActions({ collectionId, item, onEdit, onDeleted }: { collectionId: string; item: Item; onEdit: () => void; onDeleted: () => void }) {
  const remove = useDeleteItem(collectionId);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="write-actions">
      {confirming ? (
        <>
          <span>Delete this feature?</span>
          <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate(item.id, { onSuccess: onDeleted })}>
            Yes, delete
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </>
      ) : (
        <>
          <button type="button" onClick={onEdit}>
            Edit properties
          </button>
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete
          </button>
        </>
      )}
      {remove.isError ? <ProblemMessage error={remove.error} context="The feature was not deleted." /> : null}
    </div>
  );
}

function PropertiesForm({ collectionId, item, onDone }: { collectionId: string; item: Item; onDone: () => void }) {
  const replace = useReplaceItem(collectionId);
  const [rows, setRows] = useState<PropertyRow[]>(() => rowsOf(item.properties));
  const [invalid, setInvalid] = useState<string | null>(null);

  const update = (index: number, change: Partial<PropertyRow>) => setRows((current) => current.map((row, i) => (i === index ? { ...row, ...change } : row)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    let properties: Record<string, unknown>;
    try {
      properties = propertiesOf(rows);
    } catch (err) {
      if (err instanceof PropertiesError) {
        setInvalid(err.message);
        return;
      }
      throw err;
    }
    setInvalid(null);
    replace.mutate({ id: item.id, geometry: item.geometry, properties }, { onSuccess: onDone });
  };

  return (
    <form className="properties-form" onSubmit={submit} aria-label="Edit properties">
      {rows.map((row, index) => (
        <div className="property-row" key={index}>
          <input aria-label={`Name of property ${index + 1}`} value={row.key} onChange={(e) => update(index, { key: e.target.value })} />
          <input
            aria-label={`Value of ${row.key || `property ${index + 1}`}`}
            value={row.text}
            onChange={(e) => update(index, { text: e.target.value })}
          />
          <button type="button" className="link" aria-label={`Remove ${row.key || `property ${index + 1}`}`} onClick={() => setRows(rows.filter((_, i) => i !== index))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="link" onClick={() => setRows([...rows, { key: '', text: '', kind: 'new' }])}>
        + property
      </button>
      {invalid ? (
        <p className="problem" role="alert">
          {invalid}
        </p>
      ) : null}
      {replace.isError ? <ProblemMessage error={replace.error} context="The changes were not saved." /> : null}
      <div className="write-actions">
        <button type="submit" disabled={replace.isPending}>
          {replace.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
