// GET /api/openapi.json: the OpenAPI 3.1 description of this API (behind the admin check, like every /api route).
import type { Hono } from 'hono';
import { buildOpenApiDocument } from '../http/openapi.js';
import { resource } from '../http/resource.js';

export function openApiRoutes(app: Hono): void {
  // The document depends only on the code: built on first use, then served as is.
  let document: string | undefined;
  resource(app, '/api/openapi.json', {
    GET: (c) => {
      document ??= JSON.stringify(buildOpenApiDocument());
      return c.body(document, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    },
  });
}
