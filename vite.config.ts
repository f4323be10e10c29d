// Builds the SolidJS admin client (client/) into dist/public, which the server serves at /.
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';
import { compression } from 'vite-plugin-compression2';
import solid from 'vite-plugin-solid';

export default defineConfig({
  root: 'client',
  // .br and .gz beside each text asset, so the server sends them compressed without compressing
  // per request (src/node/client-assets.ts picks one by Accept-Encoding). Below 1 KB it is not worth it.
  plugins: [solid(), tailwindcss(), compression({ algorithms: ['brotliCompress', 'gzip'], threshold: 1024, logLevel: 'silent' })],
  build: {
    outDir: '../dist/public',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `npm run dev:client` next to `npm run dev`: the API and the stream from the server.
    proxy: { '/api': 'http://localhost:3000', '/healthz': 'http://localhost:3000' },
  },
});
