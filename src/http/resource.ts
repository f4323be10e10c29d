// Registers one path's handlers by method, and answers any other method with 405 and `Allow`.
import type { Handler, Hono } from 'hono';
import { AppError } from '../domain/app-error.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function resource(app: Hono, path: string, handlers: Partial<Record<Method, Handler>>): void {
  const methods = Object.keys(handlers) as Method[];
  for (const method of methods) app.on(method, path, handlers[method]!);
  const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
  app.all(path, () => {
    throw new AppError(405, 'method_not_allowed', `This path accepts ${allow}`, { Allow: allow });
  });
}
