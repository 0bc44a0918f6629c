/** Vite builds the canvas (root `client/`) into `dist/client`, served by the Express server. */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'client',
  plugins: [react()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1600 /* elkjs (~1.5 MB) is its own lazily loaded chunk */,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': 'http://127.0.0.1:7411',
      '/ws': { target: 'ws://127.0.0.1:7411', ws: true },
      '/healthz': 'http://127.0.0.1:7411',
    },
  },
});
