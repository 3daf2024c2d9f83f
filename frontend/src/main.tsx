import './app/styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app/App';
import { loadConfig } from './config/env';
import { prewarmMap } from './features/map/maplibre';

const root = createRoot(document.getElementById('root')!);
// start MapLibre's workers while config.json and the collections load
prewarmMap();

loadConfig(new URL('/config.json', window.location.href))
  .then((config) => {
    root.render(
      <StrictMode>
        <App config={config} />
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
