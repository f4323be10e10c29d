// Liveness with a real database query: 503 when the database cannot answer.
import { sql } from 'drizzle-orm';
import type { Hono } from 'hono';
import type { Db } from '../db/types.js';
import { AppError } from '../http/app-error.js';
import { resource } from '../http/resource.js';
import type { Logger } from '../logger.js';

export function healthRoutes(app: Hono, db: Db, logger: Logger): void {
  resource(app, '/healthz', {
    GET: (c) => {
      try {
        db.get(sql`select count(*) from stock_accounts`);
      } catch (error) {
        logger.error(`health check: database unusable: ${error instanceof Error ? error.message : String(error)}`);
        throw new AppError(503, 'database_unavailable', 'The database cannot be queried');
      }
      return c.json({ ok: true });
    },
  });
}
