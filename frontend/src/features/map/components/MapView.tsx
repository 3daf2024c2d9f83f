/**
 * The map (MapLibre GL JS). React owns the data (features, selection, view); this component hands
 * it to the map imperatively and reports the view back on every `moveend`.
 */
import 'maplibre-gl/dist/maplibre-gl.css';

import type { FeatureCollection, Point } from 'geojson';
import {
  Map as MapLibreMap,
  NavigationControl,
  setWorkerUrl,
  type GeoJSONSource,
  type MapGeoJSONFeature,
  type MapMouseEvent,
} from 'maplibre-gl';
// The worker is emitted as a file of the build, so the CSP needs `worker-src 'self'`, not blob:.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef } from 'react';

import type { View } from '@/lib/url-state';
import type { BBox, FeatureId, Item } from '@/types/api';

import { addDataLayers, addLand, CLUSTER_LAYER, FEATURE_LAYERS, PLAIN_STYLE, POINTS_SOURCE, SHAPES_SOURCE, showSelected } from '../style';
import { bboxOfBounds } from '../view';

setWorkerUrl(workerUrl);

/** User Timing mark set when the first non-empty set of features has been drawn (read by the benchmark). */
export const FIRST_DRAW_MARK = 'geoapp:first-features-drawn';

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
  fitTarget: FitTarget | null;
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

export function MapView(props: MapViewProps) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const ready = useRef(false);
  const drawRef = useRef<(() => void) | null>(null);
  const latest = useRef(props);
  const firstFit = useRef<{ skip: boolean; lastKey: string | null }>({ skip: props.initialView !== null, lastKey: null });

  useEffect(() => {
    latest.current = props;
  });

  // create the map once
  useEffect(() => {
    if (!container.current) return;
    const initial = latest.current.initialView;
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

    const report = () => {
      const { view, bbox } = viewOf(map);
      latest.current.onViewChange(view, bbox);
    };
    const draw = () => {
      const { points, shapes } = splitByKind(latest.current.items);
      void map.getSource<GeoJSONSource>(POINTS_SOURCE)?.setData(points);
      void map.getSource<GeoJSONSource>(SHAPES_SOURCE)?.setData(shapes);
      const count = latest.current.items.length;
      if (count > 0 && performance.getEntriesByName(FIRST_DRAW_MARK).length === 0) {
        map.once('idle', () => {
          if (performance.getEntriesByName(FIRST_DRAW_MARK).length === 0) performance.mark(FIRST_DRAW_MARK);
        });
      }
      map.once('idle', () => {
        if (container.current) container.current.dataset.drawnCount = String(count);
      });
    };
    map.on('load', () => {
      addDataLayers(map);
      if (!latest.current.styleUrl) {
        addLand(map).catch((err: unknown) => console.warn('the map is drawn without land:', err));
      }
      ready.current = true;
      draw();
      showSelected(map, latest.current.selectedId);
      report();
    });
    map.on('moveend', () => {
      if (ready.current) report();
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
    return () => {
      ready.current = false;
      drawRef.current = null;
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
    if (!map || !target || target.key === firstFit.current.lastKey) return;
    firstFit.current.lastKey = target.key;
    if (firstFit.current.skip) {
      firstFit.current.skip = false;
      return;
    }
    const [w, s, e, n] = target.bbox;
    const pad = w === e && s === n ? 0.05 : 0; // a single point: show a little around it
    map.fitBounds([w - pad, s - pad, e + pad, n + pad], { padding: 40, maxZoom: 12, animate: false });
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
