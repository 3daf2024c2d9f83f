/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * `npm run dev` / `npm run preview` serve /config.json from devtools/config.dev.json (or the file
 * named by GEOAPP_CONFIG). The build holds no config.json: the publish step writes it.
 */
function devConfig(): Plugin {
  const file = process.env.GEOAPP_CONFIG ?? fileURLToPath(new URL('./devtools/config.dev.json', import.meta.url));
  const serve = (server: { middlewares: { use(path: string, fn: (req: unknown, res: ServerResponse) => void): unknown } }): void => {
    server.middlewares.use('/config.json', (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(readFileSync(file));
    });
  };
  return { name: 'geoapp-dev-config', configureServer: serve, configurePreviewServer: serve };
}

export default defineConfig({
  plugins: [react(), devConfig()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    target: 'es2022',
    // the maplibre chunk is large by nature (about 280 kB gzipped)
    chunkSizeWarningLimit: 1600,
    sourcemap: false,
    rolldownOptions: {
      output: {
        // hex hashes: ops/publish_frontend.py recognises hashed names (immutable cache) by them
        hashCharacters: 'hex',
        // the libraries change less often than the app: separate files keep their cache
        codeSplitting: {
          groups: [
            { name: 'maplibre', test: /node_modules[\\/]maplibre-gl/ },
            { name: 'vendor', test: /node_modules/ },
          ],
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    // `make api` serves the API on :8000
    proxy: { '/api': { target: process.env.GEOAPP_API ?? 'http://127.0.0.1:8000', changeOrigin: false } },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    pool: 'threads',
    maxWorkers: 1,
  },
});
