// What each credential may do (SPEC §12): `read` ⊂ `operate` ⊂ `admin`. The root credentials
// (ADMIN_TOKEN, the browser session) act as admin. A watch link is not a scope: it opens one run.
export const tokenScopes = ['read', 'operate', 'admin'] as const;
export type TokenScope = (typeof tokenScopes)[number];

const rank: Record<TokenScope, number> = { read: 0, operate: 1, admin: 2 };

/** Whether a credential holding `held` may call a route that needs `needed`. */
export function scopeAllows(held: TokenScope, needed: TokenScope): boolean {
  return rank[held] >= rank[needed];
}

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (tokenScopes as readonly string[]).includes(value);
}
