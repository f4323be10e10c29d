// The progress modal's "Share live view": it asks for a watch link for the run, copies the link and
// says so; without a clipboard (plain http) it shows the link to copy by hand.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { snapshot } from '../run/run-fixtures.js';

const showToast = vi.fn();
vi.mock('../toasts.js', () => ({ showToast: (...args: unknown[]) => showToast(...args) }));

const { followRun } = await import('../run/follow-run.js');
const { ProgressModal } = await import('./ProgressModal.js');
const { setLoggedIn, loggedIn } = await import('../api.js');

/** A stream that opens with the run's snapshot and stays open. */
class OpenStream extends EventTarget {
  readyState = 1;
  constructor(readonly url: string) {
    super();
    queueMicrotask(() =>
      this.dispatchEvent(new MessageEvent('snapshot', { data: JSON.stringify(snapshot({ sessionId: 'run-1' })), lastEventId: '1' })),
    );
  }
  close() {
    this.readyState = 2;
  }
}

const link = {
  url: 'http://shop.lan:3000/watch/run-1?access_token=wl1.abc',
  eventsUrl: 'http://shop.lan:3000/api/auto-purchase/progress/run-1/events?access_token=wl1.abc',
  expiresAt: '2024-05-02T10:00:00.000Z',
};

let posts: { path: string; body: unknown }[];
let answer: () => Response;

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

beforeEach(() => {
  vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
  showToast.mockReset();
  posts = [];
  answer = () => json(link, 201);
  setLoggedIn(true);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string, init: RequestInit) => {
      posts.push({ path, body: init.body ? JSON.parse(String(init.body)) : undefined });
      return answer();
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  Reflect.deleteProperty(navigator, 'clipboard');
});

async function openModal() {
  render(() => <ProgressModal sessionId="run-1" onClose={() => {}} follow={(id) => followRun(id, (url) => new OpenStream(url) as unknown as EventSource)} />);
  const dialog = await screen.findByRole('dialog', { name: 'Auto-purchase progress' });
  await waitFor(() => expect(screen.getByTestId('run-status')).toBeTruthy());
  return dialog;
}

const withClipboard = (writeText: (text: string) => Promise<void>) =>
  Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn(writeText) }, configurable: true });

describe('Share live view', () => {
  it('makes a watch link for the run, copies its url and says "Link copied"', async () => {
    withClipboard(async () => {});
    const dialog = await openModal();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Share live view' }));
    await waitFor(() => expect(showToast).toHaveBeenCalledWith('Link copied', 'success'));
    expect(posts).toEqual([{ path: '/api/auto-purchase/progress/run-1/watch-links', body: { expiresIn: '24h' } }]);
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith(link.url);
    expect(within(dialog).queryByLabelText('Live view link')).toBeNull();
  });

  it('asks for the expiry chosen', async () => {
    withClipboard(async () => {});
    const dialog = await openModal();
    const expiry = within(dialog).getByLabelText('Live view link lasts') as HTMLSelectElement;
    expect([...expiry.options].map((o) => o.value)).toEqual(['1h', '24h', '7d']);
    fireEvent.change(expiry, { target: { value: '7d' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Share live view' }));
    await waitFor(() => expect(showToast).toHaveBeenCalledWith('Link copied', 'success'));
    expect(posts[0]!.body).toEqual({ expiresIn: '7d' });
  });

  it('without a clipboard, shows the link in a read-only field to copy by hand', async () => {
    const dialog = await openModal();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Share live view' }));
    const field = (await within(dialog).findByLabelText('Live view link')) as HTMLInputElement;
    expect(field.value).toBe(link.url);
    expect(field.readOnly).toBe(true);
    expect(showToast).not.toHaveBeenCalled();
    // Pinned, so an auto-close at the run's end does not take the link away before it is copied.
    expect(within(dialog).getByRole('button', { name: 'Pin' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('when the clipboard refuses, shows the link too', async () => {
    withClipboard(async () => {
      throw new DOMException('denied', 'NotAllowedError');
    });
    const dialog = await openModal();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Share live view' }));
    expect(((await within(dialog).findByLabelText('Live view link')) as HTMLInputElement).value).toBe(link.url);
    expect(showToast).not.toHaveBeenCalled();
  });

  it("says why when the server refuses, and copies nothing", async () => {
    withClipboard(async () => {});
    answer = () => json({ error: { code: 'not_found', message: 'No such run' } }, 404);
    const dialog = await openModal();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Share live view' }));
    await waitFor(() => expect(showToast).toHaveBeenCalledWith('No such run', 'error'));
    expect(navigator.clipboard.writeText).not.toHaveBeenCalled();
    expect(loggedIn()).toBe(true);
  });
});
