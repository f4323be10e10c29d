// Builds the SolidJS admin client (client/) into dist/public, which the server serves at /.
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

export default defineConfig({
  root: 'client',
  plugins: [solid(), tailwindcss()],
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
