// The floor of the JSON-route measurement (scripts/bench-stream.ts): a plain Hono app with one
// route on @hono/node-server, alone in its process, measured with the same load generator as the
// API server. Env: PORT, HOST (default 127.0.0.1).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/bare', (c) => c.json({ ok: true }));

const port = Number(process.env.PORT ?? 3100);
const hostname = process.env.HOST ?? '127.0.0.1';
const server = serve({ fetch: app.fetch, port, hostname }, (info) => console.log(`bare server listening on ${hostname}:${info.port}`));
const stop = () => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
