// GET /metrics: the Prometheus text exposition (SPEC §4). Outside /api, so it checks its own
// credentials: METRICS_TOKEN as a bearer (it opens this route only), or an admin credential of the
// access check (the admin token, the browser session, an admin-scope API token).
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
        // As the route table says: the admin's credentials (an admin-scope token is one), or METRICS_TOKEN.
        if (principal.kind === 'watch-link' || principal.scope !== 'admin') {
          throw new AppError(403, 'forbidden', 'GET /metrics needs METRICS_TOKEN or an admin credential');
        }
      }
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    },
  });
}
