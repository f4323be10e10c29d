// GET /metrics: the Prometheus text exposition (SPEC §4). Outside /api, so it checks its own
// credentials: METRICS_TOKEN as a bearer (it opens this route only), or any other credential of the
// access check (admin token, browser session, an API token of any scope; not a watch link).
// Registered through resource(), so any other method answers 405 with `Allow`, as the document says.
import type { Hono } from 'hono';
import type { Metrics } from '../domain/metrics.js';
import { AppError } from '../domain/app-error.js';
import type { Access } from '../http/access.js';
import { constantTimeEqual } from '../http/admin-auth.js';
import { resource } from '../http/resource.js';

export interface MetricsRouteDeps {
  access: Pick<Access, 'authenticate'>;
  /** METRICS_TOKEN; unset: only the admin's credentials open the route. */
  metricsToken: string | undefined;
  metrics: Pick<Metrics, 'render'>;
}

export function metricsRoutes(app: Hono, { access, metricsToken, metrics }: MetricsRouteDeps): void {
  resource(app, '/metrics', {
    GET: async (c) => {
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      // Not the metrics token: another credential, or a 401 thrown.
      if (!(metricsToken && bearer !== undefined && constantTimeEqual(bearer, metricsToken))) {
        const principal = await access.authenticate(c);
        if (principal.kind === 'watch-link') throw new AppError(403, 'forbidden', 'A watch link opens only its own run’s progress and events');
      }
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    },
  });
}
