/**
 * MapLibre's worker: a file of the build (so the CSP needs `worker-src 'self'`, not blob:), set
 * once before any map exists; `prewarmMap()` starts the workers early, while the app still waits
 * for config.json and the collections.
 */
import { prewarm, setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

setWorkerUrl(workerUrl);

export function prewarmMap(): void {
  prewarm();
}
