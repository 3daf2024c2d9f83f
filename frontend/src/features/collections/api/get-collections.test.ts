import { describe, expect, it } from 'vitest';

import type { Collection } from '@/types/api';

import { chooseCollection, extentOf } from './get-collections';

const places: Collection = { id: 'places', title: 'Capital cities', extent: { spatial: { bbox: [[-9.14, 35.9, 37.62, 64.15]] } } };
const routes: Collection = { id: 'routes', title: 'Routes' };

describe('collections', () => {
  it('opens the URL collection, else the configured one, else the first', () => {
    expect(chooseCollection([places, routes], 'routes', 'places')?.id).toBe('routes');
    expect(chooseCollection([places, routes], null, 'routes')?.id).toBe('routes');
    expect(chooseCollection([places, routes], null, 'gone')?.id).toBe('places');
    expect(chooseCollection([places, routes], null, null)?.id).toBe('places');
    expect(chooseCollection([], null, null)).toBeNull();
  });

  it('does not silently replace a collection the URL names but the API does not have', () => {
    expect(chooseCollection([places, routes], 'gone', 'places')).toBeNull();
  });

  it('reads the 2D extent (and the 3D form without heights)', () => {
    expect(extentOf(places)).toEqual([-9.14, 35.9, 37.62, 64.15]);
    expect(extentOf({ ...places, extent: { spatial: { bbox: [[1, 2, -5, 3, 4, 5]] } } })).toEqual([1, 2, 3, 4]);
    expect(extentOf(routes)).toBeNull();
    expect(extentOf({ ...places, extent: { spatial: { bbox: [[1, 2, 3]] } } })).toBeNull();
  });
});
