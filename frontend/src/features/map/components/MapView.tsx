/**
 * The map (MapLibre GL JS). React owns the data (features, selection, view); this component hands
 * it to the map imperatively and reports the view back on every `moveend`.
 */
import 'maplibre-gl/dist/maplibre-gl.css';

import type { FeatureCollection, Point } from 'geojson';
import {
  Map as MapLibreMap,
  NavigationControl,
  type GeoJSONSource,
  type MapGeoJSONFeature,
  type MapMouseEvent,
} from 'maplibre-gl';
import { useEffect, useRef } from 'react';

import type { View } from '@/lib/url-state';
import type { BBox, FeatureId, Item } from '@/types/api';

import '../maplibre';
import { adaptResolution } from '../resolution';
import { addDataLayers, addLand, CLUSTER_LAYER, FEATURE_LAYERS, PLAIN_STYLE, POINTS_SOURCE, SHAPES_SOURCE, showSelected } from '../style';
import { bboxOfBounds } from '../view';

/** User Timing mark set when the first non-empty set of features has been drawn (read by the benchmark). */
export const FIRST_DRAW_MARK = 'geoapp:first-features-drawn';

/** How long the map must rest after a move before its view is reported (and fetched). */
export const SETTLE_MS = 250;

export interface FitTarget {
  /** A new key fits the map again (e.g. the collection id). */
  key: string;
  bbox: BBox;
}

export interface MapViewProps {
  styleUrl: string | null;
  items: Item[];
  selectedId: FeatureId | null;
  /** Where the map opens (from the URL); when given, the first fit target is not applied. */
  initialView: View | null;
  /**
   * The extent to show; `undefined` while it is not known yet (the collections are loading), so
   * the map does not report (and the app does not fetch) a view it is about to leave.
   */
  fitTarget: FitTarget | null | undefined;
  addMode: boolean;
  onViewChange: (view: View, bbox: BBox) => void;
  onSelect: (id: FeatureId) => void;
  onAddPoint: (lonLat: [number, number]) => void;
}

function splitByKind(items: Item[]): { points: FeatureCollection; shapes: FeatureCollection } {
  const points: Item[] = [];
  const shapes: Item[] = [];
  for (const item of items) (item.geometry?.type === 'Point' ? points : shapes).push(item);
  return { points: { type: 'FeatureCollection', features: points }, shapes: { type: 'FeatureCollection', features: shapes } };
}

function viewOf(map: MapLibreMap): { view: View; bbox: BBox } {
  const center = map.getCenter();
  const bounds = map.getBounds();
  return {
    view: { zoom: map.getZoom(), lat: center.lat, lon: center.lng },
    bbox: bboxOfBounds(bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()),
  };
}

/** Calls `done` after the first frame drawn with every tile of the data sources loaded (the land may still load). */
function whenDataDrawn(map: MapLibreMap, done: () => void): void {
  const check = () => {
    if (!map.getSource(POINTS_SOURCE) || (map.isSourceLoaded(POINTS_SOURCE) && map.isSourceLoaded(SHAPES_SOURCE))) {
      map.off('render', check);
      done();
    }
  };
  map.on('render', check);
  map.triggerRepaint();
}

export function MapView(props: MapViewProps) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const ready = useRef(false);
  const drawRef = useRef<(() => void) | null>(null);
  const reportRef = useRef<(() => void) | null>(null);
  const afterFirstDraw = useRef<(() => void) | null>(null);
  /** No view is reported before the map is where it opens: at the URL's view or at the first fit. */
  const waitingForFit = useRef(props.initialView === null);
  const latest = useRef(props);
  const firstFit = useRef<{ skip: boolean; lastKey: string | null }>({ skip: props.initialView !== null, lastKey: null });

  useEffect(() => {
    latest.current = props;
  });

  // create the map once
  useEffect(() => {
    if (!container.current) return;
    const initial = latest.current.initialView;
    performance.mark('geoapp:map-created');
    const map = new MapLibreMap({
      container: container.current,
      style: latest.current.styleUrl ?? PLAIN_STYLE,
      center: initial ? [initial.lon, initial.lat] : [0, 20],
      zoom: initial ? initial.zoom : 1,
      attributionControl: { compact: true },
      fadeDuration: 0,
    });
    mapRef.current = map;
    map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
    const stopAdapting = adaptResolution(map);

    let reported = '';
    const report = () => {
      const { view, bbox } = viewOf(map);
      // the same centre and zoom on a canvas of the same size is the same view: not reported again
      // (e.g. the moveend that setPixelRatio's resize fires)
      const canvas = map.getCanvas();
      const key = JSON.stringify([view, canvas.clientWidth, canvas.clientHeight]);
      if (key === reported) return;
      reported = key;
      latest.current.onViewChange(view, bbox);
    };
    let drawing = 0;
    const draw = () => {
      const { points, shapes } = splitByKind(latest.current.items);
      const count = latest.current.items.length;
      const generation = ++drawing;
      void Promise.all([
        map.getSource<GeoJSONSource>(POINTS_SOURCE)?.setData(points),
        map.getSource<GeoJSONSource>(SHAPES_SOURCE)?.setData(shapes),
      ]).then(() =>
        whenDataDrawn(map, () => {
          if (generation !== drawing) return; // newer data is on its way
          if (count > 0 && performance.getEntriesByName(FIRST_DRAW_MARK).length === 0) {
            performance.mark(FIRST_DRAW_MARK);
            afterFirstDraw.current?.();
          }
          if (container.current) container.current.dataset.drawnCount = String(count);
        }),
      );
    };
    map.on('load', () => {
      performance.mark('geoapp:map-loaded');
      addDataLayers(map);
      if (!latest.current.styleUrl) {
        // after the first features (or 2 s): on software WebGL every early frame delays them
        let added = false;
        const land = () => {
          if (added || !mapRef.current) return;
          added = true;
          addLand(map).catch((err: unknown) => console.warn('the map is drawn without land:', err));
        };
        afterFirstDraw.current = land;
        setTimeout(land, 2000);
      }
      ready.current = true;
      draw();
      showSelected(map, latest.current.selectedId);
    });
    // while the user keeps panning, nothing is fetched: the view is reported once the map rests
    let settle: ReturnType<typeof setTimeout> | undefined;
    map.on('movestart', () => clearTimeout(settle));
    map.on('moveend', () => {
      clearTimeout(settle);
      // (the view is known before the style has loaded: fetching starts while WebGL still warms up)
      if (!waitingForFit.current) settle = setTimeout(report, SETTLE_MS);
    });
    map.on('mousemove', (e: MapMouseEvent) => {
      if (!ready.current) return;
      const hit = map.queryRenderedFeatures(e.point, { layers: [...FEATURE_LAYERS, CLUSTER_LAYER] }).length > 0;
      map.getCanvas().style.cursor = latest.current.addMode ? 'crosshair' : hit ? 'pointer' : '';
    });
    map.on('click', (e: MapMouseEvent) => {
      if (!ready.current) return;
      if (latest.current.addMode) {
        latest.current.onAddPoint([e.lngLat.lng, e.lngLat.lat]);
        return;
      }
      const hits: MapGeoJSONFeature[] = map.queryRenderedFeatures(e.point, { layers: [CLUSTER_LAYER, ...FEATURE_LAYERS] });
      const hit = hits[0];
      if (!hit) return;
      if (hit.layer.id === CLUSTER_LAYER) {
        const clusterId = Number(hit.properties.cluster_id);
        const center = (hit.geometry as Point).coordinates as [number, number];
        void map
          .getSource<GeoJSONSource>(POINTS_SOURCE)
          ?.getClusterExpansionZoom(clusterId)
          .then((zoom) => map.easeTo({ center, zoom }));
        return;
      }
      if (hit.id !== undefined) latest.current.onSelect(hit.id);
    });
    drawRef.current = draw; // the effect below redraws when the items change
    reportRef.current = report;
    if (!waitingForFit.current) report(); // opened at the URL's view
    return () => {
      clearTimeout(settle);
      stopAdapting();
      ready.current = false;
      drawRef.current = null;
      reportRef.current = null;
      mapRef.current = null;
      map.remove();
    };
  }, []);

  // new data
  useEffect(() => {
    if (ready.current) drawRef.current?.();
  }, [props.items]);

  // selection
  useEffect(() => {
    const map = mapRef.current;
    if (map && ready.current) showSelected(map, props.selectedId);
  }, [props.selectedId]);

  // fit to the collection's extent when the collection changes (not over a view from the URL)
  useEffect(() => {
    const map = mapRef.current;
    const target = props.fitTarget;
    if (!map || target === undefined) return;
    if (waitingForFit.current) {
      waitingForFit.current = false;
      if (target === null) reportRef.current?.(); // nothing to fit (no extent): this view it is
    }
    if (!target || target.key === firstFit.current.lastKey) return;
    firstFit.current.lastKey = target.key;
    if (firstFit.current.skip) {
      firstFit.current.skip = false;
      return;
    }
    const [w, s, e, n] = target.bbox;
    const pad = w === e && s === n ? 0.05 : 0; // a single point: show a little around it
    map.fitBounds([w - pad, s - pad, e + pad, n + pad], { padding: 40, maxZoom: 12, animate: false });
    reportRef.current?.();
  }, [props.fitTarget]);

  useEffect(() => {
    const map = mapRef.current;
    if (map) map.getCanvas().style.cursor = props.addMode ? 'crosshair' : '';
  }, [props.addMode]);

  return (
    <div
      ref={container}
      className="map"
      role="region"
      aria-label="Map"
      data-testid="map"
      data-add-mode={props.addMode ? 'true' : undefined}
    />
  );
}
