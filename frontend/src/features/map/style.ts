/**
 * The map's style: a plain background with the land of Natural Earth 1:110m, bundled (no tiles,
 * glyphs or sprites, so nothing is fetched from the internet), unless the runtime config names a
 * basemap style; and the data layers drawn over it. No layer uses text, so no glyphs are needed.
 */
import type { ExpressionSpecification, FilterSpecification, Map as MapLibreMap, StyleSpecification } from 'maplibre-gl';
import { feature } from 'topojson-client';
import type { Feature, FeatureCollection, Position } from 'geojson';
import type { Topology } from 'topojson-specification';
// Natural Earth 1:110m land (public domain), as a file of the build: fetched from the site itself.
import landUrl from 'world-atlas/land-110m.json?url';

import type { FeatureId } from '@/types/api';

export const POINTS_SOURCE = 'items-points';
export const SHAPES_SOURCE = 'items-shapes';

export const COLORS = {
  background: '#dce8ef', // water
  land: '#f3f1ea',
  point: '#d6336c',
  cluster: '#1971c2',
  line: '#2b8a3e',
  fill: '#f08c00',
  selected: '#000000',
} as const;

export const PLAIN_STYLE: StyleSpecification = {
  version: 8,
  name: 'plain',
  sources: {},
  layers: [{ id: 'background', type: 'background', paint: { 'background-color': COLORS.background } }],
};

const isPolygon: ExpressionSpecification = ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]];
const isLine: ExpressionSpecification = ['in', ['geometry-type'], ['literal', ['LineString', 'MultiLineString']]];
const isPoint: ExpressionSpecification = ['in', ['geometry-type'], ['literal', ['Point', 'MultiPoint']]];
const isCluster: ExpressionSpecification = ['has', 'point_count'];
const notCluster: ExpressionSpecification = ['!', isCluster];
const NOTHING = -1; // no feature has this id

/** Layers that a click selects (clusters zoom in instead). */
export const FEATURE_LAYERS = ['shape-fills', 'shape-lines', 'shape-points', 'points'] as const;
export const CLUSTER_LAYER = 'clusters';

const selectedFilter = (id: FeatureId | null, base: ExpressionSpecification): FilterSpecification => ['all', base, ['==', ['id'], id ?? NOTHING]];

/**
 * Two GeoJSON sources: points, clustered by the source (so 10,000 points draw as a few dozen
 * circles), and lines/polygons, which clustering does not apply to.
 */
export function addDataLayers(map: MapLibreMap): void {
  const empty = { type: 'FeatureCollection' as const, features: [] };
  map.addSource(POINTS_SOURCE, { type: 'geojson', data: empty, cluster: true, clusterRadius: 48, clusterMaxZoom: 13 });
  map.addSource(SHAPES_SOURCE, { type: 'geojson', data: empty });

  map.addLayer({ id: 'shape-fills', type: 'fill', source: SHAPES_SOURCE, filter: isPolygon, paint: { 'fill-color': COLORS.fill, 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'shape-outlines', type: 'line', source: SHAPES_SOURCE, filter: isPolygon, paint: { 'line-color': COLORS.fill, 'line-width': 1.5 } });
  map.addLayer({ id: 'shape-lines', type: 'line', source: SHAPES_SOURCE, filter: isLine, paint: { 'line-color': COLORS.line, 'line-width': 3 } });
  map.addLayer({
    id: 'shape-points',
    type: 'circle',
    source: SHAPES_SOURCE,
    filter: isPoint,
    paint: { 'circle-color': COLORS.point, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
  });
  map.addLayer({
    id: CLUSTER_LAYER,
    type: 'circle',
    source: POINTS_SOURCE,
    filter: isCluster,
    paint: {
      'circle-color': COLORS.cluster,
      // larger circles for larger clusters (no count label: text would need glyphs)
      'circle-radius': ['step', ['get', 'point_count'], 12, 10, 16, 100, 22, 1000, 30],
      'circle-stroke-color': '#fff',
      'circle-stroke-width': 2,
    },
  });
  map.addLayer({
    id: 'points',
    type: 'circle',
    source: POINTS_SOURCE,
    filter: notCluster,
    paint: { 'circle-color': COLORS.point, 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
  });
  // the selected feature, drawn over everything
  map.addLayer({ id: 'selected-fill', type: 'line', source: SHAPES_SOURCE, filter: selectedFilter(null, isPolygon), paint: { 'line-color': COLORS.selected, 'line-width': 3 } });
  map.addLayer({ id: 'selected-line', type: 'line', source: SHAPES_SOURCE, filter: selectedFilter(null, isLine), paint: { 'line-color': COLORS.selected, 'line-width': 5 } });
  for (const [id, source] of [
    ['selected-shape-point', SHAPES_SOURCE],
    ['selected-point', POINTS_SOURCE],
  ] as const) {
    map.addLayer({
      id,
      type: 'circle',
      source,
      filter: selectedFilter(null, source === POINTS_SOURCE ? notCluster : isPoint),
      paint: { 'circle-color': COLORS.point, 'circle-radius': 10, 'circle-stroke-color': COLORS.selected, 'circle-stroke-width': 3 },
    });
  }
}

export function showSelected(map: MapLibreMap, id: FeatureId | null): void {
  map.setFilter('selected-fill', selectedFilter(id, isPolygon));
  map.setFilter('selected-line', selectedFilter(id, isLine));
  map.setFilter('selected-shape-point', selectedFilter(id, isPoint));
  map.setFilter('selected-point', selectedFilter(id, notCluster));
}

export const LAND_SOURCE = 'land';

/** Draws the bundled land under the data layers (the plain style only). */
export async function addLand(map: MapLibreMap): Promise<void> {
  const response = await fetch(landUrl);
  if (!response.ok) throw new Error(`cannot load the land outline: HTTP ${response.status}`);
  const topology = (await response.json()) as Topology;
  const land = topology.objects.land;
  if (!land || map.getSource(LAND_SOURCE)) return;
  // 1:110m data gains nothing past zoom 4: fewer, overzoomed tiles are cheaper to draw
  map.addSource(LAND_SOURCE, { type: 'geojson', data: unwrapAntimeridian(feature(topology, land)), maxzoom: 4 });
  // one plain fill, no outline pass and no coast line: cheap to draw on software WebGL while panning
  map.addLayer({ id: 'land', type: 'fill', source: LAND_SOURCE, paint: { 'fill-color': COLORS.land, 'fill-antialias': false } }, 'shape-fills');
}

/**
 * Natural Earth cuts rings at the antimeridian (a step from +180 to -180). Drawn flat, such a step
 * is a line across the whole map; shifting each point by 360 degrees to stay near the one before
 * makes the ring continuous (MapLibre draws longitudes beyond 180 on the next world copy).
 */
export function unwrapRing(ring: Position[]): Position[] {
  let previous: number | undefined;
  return ring.map(([lon = 0, lat = 0, ...rest]) => {
    let x = lon;
    if (previous !== undefined) {
      while (x - previous > 180) x -= 360;
      while (x - previous < -180) x += 360;
    }
    previous = x;
    return [x, lat, ...rest];
  });
}

function unwrapAntimeridian(data: Feature | FeatureCollection): FeatureCollection {
  const features = data.type === 'FeatureCollection' ? data.features : [data];
  return {
    type: 'FeatureCollection',
    features: features.map((f) => {
      const g = f.geometry;
      if (g?.type === 'Polygon') return { ...f, geometry: { ...g, coordinates: g.coordinates.map(unwrapRing) } };
      if (g?.type === 'MultiPolygon') return { ...f, geometry: { ...g, coordinates: g.coordinates.map((p) => p.map(unwrapRing)) } };
      return f;
    }),
  };
}
