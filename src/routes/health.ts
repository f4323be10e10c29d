// Liveness with a real database query: 503 when the database cannot answer, or cannot be written.
import type { Hono } from 'hono';
import { resource } from '../http/resource.js';
import type { HealthService } from '../services/health.js';

export function healthRoutes(app: Hono, health: HealthService): void {
  resource(app, '/healthz', {
    GET: (c) => {
      health.assertHealthy();
      return c.json({ ok: true });
    },
  });
}
