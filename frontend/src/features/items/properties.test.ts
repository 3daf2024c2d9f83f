import { describe, expect, it } from 'vitest';

import { labelOf, propertiesOf, rowsOf } from './properties';

describe('properties editing', () => {
  it('gives back the same values when nothing was changed', () => {
    const properties = { name: 'Paris', population: 2102650, capital: true, tags: ['a', 'b'], extra: null, nested: { a: 1 } };
    expect(propertiesOf(rowsOf(properties))).toEqual(properties);
  });

  it('keeps text as text even when it looks like a number, and non-text values typed', () => {
    const rows = rowsOf({ code: '75', population: 1 });
    rows[0]!.text = '076';
    rows[1]!.text = '2200000';
    expect(propertiesOf(rows)).toEqual({ code: '076', population: 2200000 });
  });

  it('reads added rows as text', () => {
    expect(propertiesOf([{ key: ' note ', text: 'true', kind: 'new' }])).toEqual({ note: 'true' });
  });

  it('refuses a number edited into something that is not JSON, an empty name and a repeated name', () => {
    const rows = rowsOf({ population: 1 });
    rows[0]!.text = 'many';
    expect(() => propertiesOf(rows)).toThrow(/"population" must be a JSON value/);
    expect(() => propertiesOf([{ key: ' ', text: 'x', kind: 'new' }])).toThrow(/needs a name/);
    expect(() =>
      propertiesOf([
        { key: 'a', text: '1', kind: 'new' },
        { key: 'a', text: '2', kind: 'new' },
      ]),
    ).toThrow(/there twice/);
  });

  it('labels a feature by name, title or id', () => {
    expect(labelOf({ id: 1, properties: { name: 'Oslo' } })).toBe('Oslo');
    expect(labelOf({ id: 2, properties: { title: 'T' } })).toBe('T');
    expect(labelOf({ id: 3, properties: { name: 42 } })).toBe('Feature 3');
  });
});
