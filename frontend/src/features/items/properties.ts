/** Feature properties shown and edited as text rows, and read back without changing their types. */
import type { Item } from '@/types/api';

export interface PropertyRow {
  key: string;
  text: string;
  /** The value's type before editing; `new` for a row the user added (read back as a string). */
  kind: 'string' | 'json' | 'new';
}

export function labelOf(item: Pick<Item, 'id' | 'properties'>): string {
  const p = item.properties ?? {};
  for (const key of ['name', 'title', 'label']) {
    const value = p[key];
    if (typeof value === 'string' && value.trim()) return value;
  }
  return `Feature ${item.id}`;
}

export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function rowsOf(properties: Record<string, unknown> | null | undefined): PropertyRow[] {
  return Object.entries(properties ?? {}).map(([key, value]) => ({
    key,
    text: formatValue(value),
    kind: typeof value === 'string' ? 'string' : 'json',
  }));
}

export class PropertiesError extends Error {
  override name = 'PropertiesError';
}

/**
 * Rows back to a properties object. Strings stay strings; a value that was a number, boolean,
 * null, list or object must still be valid JSON. Names must be non-empty and unique.
 */
export function propertiesOf(rows: PropertyRow[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of rows) {
    const key = row.key.trim();
    if (!key) throw new PropertiesError('every property needs a name');
    if (Object.hasOwn(out, key)) throw new PropertiesError(`the property "${key}" is there twice`);
    if (row.kind === 'json') {
      try {
        out[key] = JSON.parse(row.text);
      } catch {
        throw new PropertiesError(`"${key}" must be a JSON value (it was not a text), e.g. 12, true, null`);
      }
    } else {
      out[key] = row.text;
    }
  }
  return out;
}
