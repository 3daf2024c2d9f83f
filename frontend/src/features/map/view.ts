/** The map's view as data: the bbox the API is asked for, and the view kept in the URL. */
import type { BBox } from '@/types/api';

/**
 * The query bbox for the visible bounds. The API takes `minLon,minLat,maxLon,maxLat` in
 * [-180, 180] x [-90, 90] and refuses boxes that cross the antimeridian, so a view wider than the
 * world, or one that crosses the antimeridian, asks for the whole band of latitudes it shows.
 */
export function bboxOfBounds(west: number, south: number, east: number, north: number): BBox {
  const minLat = Math.max(-90, Math.min(south, north));
  const maxLat = Math.min(90, Math.max(south, north));
  if (east - west >= 360) return [-180, minLat, 180, maxLat];
  const fold = (lon: number) => ((((lon + 180) % 360) + 360) % 360) - 180;
  const minLon = fold(west);
  const maxLon = east === 180 ? 180 : fold(east);
  if (minLon > maxLon) return [-180, minLat, 180, maxLat];
  return [minLon, minLat, maxLon, maxLat];
}

