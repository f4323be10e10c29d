// Liveness with a real database query: 503 when the database cannot answer, or cannot be written.
import type { Hono } from 'hono';
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { resource } from '../http/resource.js';
import type { Logger } from '../logger.js';
import { checkDatabase } from '../services/health.js';
import { errorText } from '../domain/error-text.js';

export function healthRoutes(app: Hono, db: Db, logger: Logger, clock: Clock): void {
  resource(app, '/healthz', {
    GET: (c) => {
      try {
        checkDatabase(db, clock.now());
      } catch (error) {
        logger.error(`health check: database unusable: ${errorText(error)}`);
        throw error;
      }
      return c.json({ ok: true });
    },
  });
}
