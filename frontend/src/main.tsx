import './app/styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app/App';
import { loadConfig } from './config/env';
import { collectionsQuery } from './features/collections/api/get-collections';
import { prewarmMap } from './features/map/maplibre';
import { createApiClient } from './lib/api-client';
import { makeQueryClient } from './lib/query-client';

const root = createRoot(document.getElementById('root')!);
// start MapLibre's workers while config.json and the collections load
prewarmMap();

loadConfig(new URL('/config.json', window.location.href))
  .then((config) => {
    const queryClient = makeQueryClient();
    // public reads: ask for the collections now, while React renders and MapLibre starts
    if (config.publicReads) void queryClient.prefetchQuery(collectionsQuery(createApiClient({ apiBase: config.apiBase })));
    root.render(
      <StrictMode>
        <App config={config} queryClient={queryClient} />
      </StrictMode>,
    );
  })
  .catch((err: Error) => {
    root.render(
      <main className="fatal" role="alert">
        <h1>The map cannot start</h1>
        <p>{err.message}</p>
      </main>,
    );
  });
