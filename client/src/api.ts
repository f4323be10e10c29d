// Calls to the server: same-origin, with the session cookie. A 401 from any call sends the admin
// back to the log-in form.
import { createSignal } from 'solid-js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** undefined while unknown, then whether the cookie is good. */
const [loggedIn, setLoggedIn] = createSignal<boolean | undefined>(undefined);
export { loggedIn, setLoggedIn };

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && path !== '/api/auth/login') setLoggedIn(false);
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => undefined)) as (T & { error?: { code: string; message: string } }) | undefined;
  if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'error', json?.error?.message ?? `The server answered ${res.status}`);
  return json as T;
}

export async function logIn(token: string): Promise<void> {
  await api('POST', '/api/auth/login', { token });
  setLoggedIn(true);
}

export async function logOut(): Promise<void> {
  await api('POST', '/api/auth/logout');
  setLoggedIn(false);
}

/** Asks the server once whether the cookie still works (the session survives restarts). */
export async function checkSession(): Promise<void> {
  try {
    await api('GET', '/api/admin/stock-accounts');
    setLoggedIn(true);
  } catch {
    setLoggedIn(false);
  }
}
