import { describe, expect, it } from 'vitest';

import { formatUrlState, parseUrlState, parseView, wrapLon, type UrlState } from './url-state';

const at = (href: string) => {
  const url = new URL(href, 'https://site.example');
  return parseUrlState({ pathname: url.pathname, search: url.search });
};

describe('URL state', () => {
  it('reads collection, view and feature from a deep link', () => {
    expect(at('/collections/places?view=5.5/48.8566/2.3522&feature=12')).toEqual({
      collection: 'places',
      view: { zoom: 5.5, lat: 48.8566, lon: 2.3522 },
      feature: 12,
    });
  });

  it('writes what it reads (a shared link reopens the same map)', () => {
    const states: UrlState[] = [
      { collection: 'places', view: { zoom: 3, lat: -33.86882, lon: 151.20929 }, feature: null },
      { collection: 'a b/ü', view: null, feature: 'x-1' },
      { collection: 'routes', view: { zoom: 0, lat: 0, lon: 0 }, feature: 7 },
    ];
    for (const state of states) {
      const href = formatUrlState(state);
      expect(at(href)).toEqual(state);
    }
  });

  it('writes a readable link, rounded to about a metre', () => {
    expect(formatUrlState({ collection: 'places', view: { zoom: 4.123456, lat: 48.856613, lon: 2.352222 }, feature: 3 })).toBe(
      '/collections/places?view=4.12/48.85661/2.35222&feature=3',
    );
    expect(formatUrlState({ collection: null, view: null, feature: null })).toBe('/');
  });

  it('opens the default collection at its extent for the root path', () => {
    expect(at('/')).toEqual({ collection: null, view: null, feature: null });
    expect(at('/?feature=3')).toEqual({ collection: null, view: null, feature: null });
  });

  it.each([
    ['too few parts', '4/48'],
    ['not numbers', 'a/b/c'],
    ['empty parts', '4//2'],
    ['latitude beyond Web Mercator', '4/89/2'],
    ['zoom beyond 22', '23/0/0'],
    ['negative zoom', '-1/0/0'],
    ['infinity', 'Infinity/0/0'],
  ])('drops a view with %s', (_name, raw) => {
    expect(parseView(raw)).toBeNull();
  });

  it('folds longitude into [-180, 180)', () => {
    expect(parseView('2/10/190')).toEqual({ zoom: 2, lat: 10, lon: -170 });
    expect(wrapLon(-180)).toBe(-180);
    expect(wrapLon(180)).toBe(-180);
    expect(wrapLon(-540)).toBe(-180);
    expect(wrapLon(0)).toBe(0);
  });

  it('ignores paths that are not a collection, and malformed escapes', () => {
    expect(at('/auth/callback?code=x&state=y').collection).toBeNull();
    expect(at('/collections/a/b').collection).toBeNull();
    expect(at('/collections/%E0%A4%A').collection).toBeNull();
  });
});
