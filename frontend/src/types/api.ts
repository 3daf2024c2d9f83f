/** The parts of OGC API - Features documents the app reads (see backend/geoapi/core/api.py). */
import type { Feature, FeatureCollection, Geometry } from 'geojson';

export type BBox = [minLon: number, minLat: number, maxLon: number, maxLat: number];

export interface Link {
  href: string;
  rel: string;
  type?: string;
  title?: string;
}

export interface Collection {
  id: string;
  title: string;
  description?: string;
  extent?: { spatial?: { bbox?: number[][] } };
  links?: Link[];
}

export interface CollectionsDocument {
  collections: Collection[];
  links?: Link[];
}

export type FeatureId = number | string;

export type Item = Feature<Geometry, Record<string, unknown>> & { id: FeatureId };

export interface ItemsPage extends FeatureCollection<Geometry, Record<string, unknown>> {
  features: Item[];
  links?: Link[];
  numberReturned?: number;
}
