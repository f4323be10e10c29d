// GET /metrics: the Prometheus text exposition (SPEC §4). Outside /api, so it checks its own
// credentials: METRICS_TOKEN as a bearer (it opens this route only), or the admin's (bearer or cookie).
import type { Hono } from 'hono';
import type { Metrics } from '../domain/metrics.js';
import { constantTimeEqual, requireAdmin, type AdminAuth } from '../http/admin-auth.js';

export interface MetricsRouteDeps {
  auth: AdminAuth;
  /** METRICS_TOKEN; unset: only the admin's credentials open the route. */
  metricsToken: string | undefined;
  metrics: Pick<Metrics, 'render'>;
}

export function metricsRoutes(app: Hono, { auth, metricsToken, metrics }: MetricsRouteDeps): void {
  const admin = requireAdmin(auth);
  app.get('/metrics', async (c, next) => {
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (metricsToken && bearer !== undefined && constantTimeEqual(bearer, metricsToken)) return next();
    return admin(c, next);
  }, async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  });
}
