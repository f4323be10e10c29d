// GET /metrics: the Prometheus text exposition (SPEC §4). Outside /api, so it checks its own
// credentials: METRICS_TOKEN as a bearer (it opens this route only), or the admin's (bearer or cookie).
// Registered through resource(), so any other method answers 405 with `Allow`, as the document says.
import type { Hono } from 'hono';
import type { Metrics } from '../domain/metrics.js';
import { constantTimeEqual, requireAdmin, type AdminAuth } from '../http/admin-auth.js';
import { resource } from '../http/resource.js';

export interface MetricsRouteDeps {
  auth: AdminAuth;
  /** METRICS_TOKEN; unset: only the admin's credentials open the route. */
  metricsToken: string | undefined;
  metrics: Pick<Metrics, 'render'>;
}

export function metricsRoutes(app: Hono, { auth, metricsToken, metrics }: MetricsRouteDeps): void {
  const admin = requireAdmin(auth);
  resource(app, '/metrics', {
    GET: async (c) => {
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      // Not the metrics token: the admin's credentials, or a 401 thrown.
      if (!(metricsToken && bearer !== undefined && constantTimeEqual(bearer, metricsToken))) await admin(c, async () => undefined);
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    },
  });
}
