// Log in with the admin token: the server sets an HttpOnly cookie; the token is never stored here.
import { createSignal, Show } from 'solid-js';
import { ApiError, logIn } from '../api.js';

export function Login() {
  const [token, setToken] = createSignal('');
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await logIn(token());
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 401 ? 'Invalid token' : 'The server could not be reached; try again.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="flex min-h-screen items-center justify-center p-4">
      <form class="w-full max-w-sm space-y-4 rounded-xl bg-[#1e293b] p-6 shadow-xl" onSubmit={submit}>
        <h1 class="text-lg font-semibold">Auto-purchase admin</h1>
        <label class="block space-y-1 text-sm">
          <span class="text-slate-300">Admin token</span>
          <input
            type="password"
            autocomplete="current-password"
            class="w-full rounded-md border border-slate-600 bg-slate-900 px-3 py-2 text-slate-100 outline-none focus:border-blue-500"
            value={token()}
            onInput={(e) => setToken(e.currentTarget.value)}
            required
          />
        </label>
        <Show when={error()}>
          <p role="alert" class="text-sm text-red-400">
            {error()}
          </p>
        </Show>
        <button type="submit" disabled={busy()} class="w-full rounded-md bg-blue-600 px-3 py-2 font-medium text-white hover:bg-blue-500 disabled:opacity-60">
          Log in
        </button>
        <p class="text-xs text-slate-400">The token was printed when the server first started, and is kept in data/admin-token.</p>
      </form>
    </main>
  );
}
