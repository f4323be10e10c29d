// "Share live view" (SPEC §12): makes a watch link for the run (read-only, expiring) and copies it.
// Without a clipboard (plain http on a LAN is not a secure context, so the browser has none) the
// link is shown in a read-only field to copy by hand.
import { createSignal, For, Show } from 'solid-js';
import { createWatchLink, type WatchLinkExpiry } from '../api.js';
import { copyToClipboard } from '../clipboard.js';
import { Share2 } from '../icons.js';
import { showToast } from '../toasts.js';
import { describeError } from './FormErrors.js';

const expiries: readonly { value: WatchLinkExpiry; label: string }[] = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];

/** The expiry select and the button, then (when copying failed) the link to copy by hand, on its own line. */
export function ShareLiveView(props: { sessionId: string; /** Called when the link is shown to copy by hand. */ onShown?: () => void }) {
  const [expiresIn, setExpiresIn] = createSignal<WatchLinkExpiry>('24h');
  const [busy, setBusy] = createSignal(false);
  const [uncopied, setUncopied] = createSignal<string>();

  const share = async () => {
    setBusy(true);
    setUncopied(undefined);
    try {
      const link = await createWatchLink(props.sessionId, expiresIn());
      if (await copyToClipboard(link.url)) showToast('Link copied', 'success');
      else {
        setUncopied(link.url);
        props.onShown?.();
      }
    } catch (failure) {
      showToast(describeError(failure), 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="flex items-center gap-2">
        <select
          aria-label="Live view link lasts"
          title="How long the link works"
          class="rounded-md border border-slate-600 bg-slate-900 px-2 py-1.5 text-sm text-slate-100 [color-scheme:dark]"
          value={expiresIn()}
          onChange={(event) => setExpiresIn(event.currentTarget.value as WatchLinkExpiry)}
          disabled={busy()}
        >
          <For each={expiries}>
            {(expiry) => (
              <option value={expiry.value} selected={expiry.value === expiresIn()}>
                {expiry.label}
              </option>
            )}
          </For>
        </select>
        <button
          type="button"
          title="A read-only page of this run for a teammate or a customer; no log-in needed"
          class="inline-flex items-center gap-1.5 rounded-md border border-slate-600 px-3 py-1.5 text-sm font-medium text-slate-200 hover:bg-slate-700 disabled:cursor-not-allowed disabled:opacity-60"
          disabled={busy()}
          aria-busy={busy()}
          onClick={() => void share()}
        >
          <Share2 size={16} aria-hidden="true" />
          Share live view
        </button>
      </div>
      <Show when={uncopied()}>
        {(url) => (
          <div class="basis-full space-y-1">
            <label class="block text-xs text-slate-300">
              This browser cannot copy here: copy the link by hand.
              <input
                type="text"
                readOnly
                aria-label="Live view link"
                class="mt-1 w-full rounded-md border border-slate-600 bg-slate-900 px-2 py-1.5 font-mono text-xs text-slate-100"
                value={url()}
                ref={(input) => queueMicrotask(() => input.select())}
                onFocus={(event) => event.currentTarget.select()}
              />
            </label>
          </div>
        )}
      </Show>
    </>
  );
}
