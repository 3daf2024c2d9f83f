/**
 * What the address bar holds, so a link can be shared and a reload comes back to the same map:
 *
 *   /collections/<collection id>?view=<zoom>/<lat>/<lon>&feature=<feature id>
 *
 * (`view` is written like OpenStreetMap's `map=zoom/lat/lon`). Every part is optional; values
 * that are not valid are dropped, not guessed: the app then opens at the collection's extent.
 */
import type { FeatureId } from '@/types/api';

export interface View {
  zoom: number;
  lat: number;
  lon: number;
}

export interface UrlState {
  collection: string | null;
  view: View | null;
  feature: FeatureId | null;
}

export const MAX_ZOOM = 22;
/** Web Mercator's latitude limit. */
export const MAX_LAT = 85.051129;

const COLLECTION_PATH = /^\/collections\/([^/]+)\/?$/;

/** Longitude folded into [-180, 180). */
export function wrapLon(lon: number): number {
  if (lon >= -180 && lon < 180) return lon; // no arithmetic, no rounding error
  const wrapped = ((((lon + 180) % 360) + 360) % 360) - 180;
  return Object.is(wrapped, -0) ? 0 : wrapped;
}

export function parseView(raw: string | null): View | null {
  if (!raw) return null;
  const parts = raw.split('/');
  if (parts.length !== 3 || parts.some((p) => p.trim() === '')) return null;
  const [zoom, lat, lon] = parts.map(Number) as [number, number, number];
  if (![zoom, lat, lon].every(Number.isFinite)) return null;
  if (zoom < 0 || zoom > MAX_ZOOM || Math.abs(lat) > MAX_LAT) return null;
  return { zoom, lat, lon: wrapLon(lon) };
}

export function formatView(view: View): string {
  // 5 decimals is about 1 m; zoom to 2 decimals
  return `${round(view.zoom, 2)}/${round(view.lat, 5)}/${round(wrapLon(view.lon), 5)}`;
}

function round(value: number, digits: number): string {
  const text = Number(value.toFixed(digits)).toString();
  return text === '-0' ? '0' : text;
}

function parseFeature(raw: string | null): FeatureId | null {
  if (!raw) return null;
  return /^\d{1,19}$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
}

export function parseUrlState(location: { pathname: string; search: string }): UrlState {
  const match = COLLECTION_PATH.exec(location.pathname);
  let collection: string | null = null;
  if (match?.[1]) {
    try {
      collection = decodeURIComponent(match[1]) || null;
    } catch {
      collection = null; // a malformed %-escape names no collection
    }
  }
  const query = new URLSearchParams(location.search);
  return { collection, view: parseView(query.get('view')), feature: collection ? parseFeature(query.get('feature')) : null };
}

/** Path and query for a state (no origin), e.g. `/collections/places?view=4/48.85/2.35`. */
export function formatUrlState(state: UrlState): string {
  if (!state.collection) return '/';
  const query = new URLSearchParams();
  if (state.view) query.set('view', formatView(state.view));
  if (state.feature !== null) query.set('feature', String(state.feature));
  const search = query.toString().replace(/%2F/g, '/');
  return `/collections/${encodeURIComponent(state.collection)}${search ? `?${search}` : ''}`;
}
