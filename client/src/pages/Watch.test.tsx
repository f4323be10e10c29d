// The read-only watch page: the watch link's token on the snapshot and stream URLs, the run drawn as
// the modal draws it with nothing to press, and a refused link said in words, never a log-in.
import { cleanup, render, screen, waitFor, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loggedIn } from '../api.js';
import { snapshot } from '../run/run-fixtures.js';
import { Watch, watchTarget } from './Watch.js';

class FakeEventSource extends EventTarget {
  readyState = 0;
  constructor(readonly url: string) {
    super();
    sources.push(this);
  }
  close() {
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  emit(type: string, data: unknown, id: number) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: String(id) }));
  }
  /** What a browser does when the answer is not a stream (a 401, a 403): it gives up. */
  refuse() {
    this.readyState = 2;
    this.dispatchEvent(new Event('error'));
  }
}

let sources: FakeEventSource[];
let answer: () => Response;
const token = 'wl1.eyJzIjoicnVuLTEifQ.sig';

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

beforeEach(() => {
  sources = [];
  answer = () => json(snapshot({ sessionId: 'run-1' }));
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => answer()),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const show = (accessToken = token) => render(() => <Watch target={{ sessionId: 'run-1', accessToken }} />);

describe('watchTarget', () => {
  it('reads the run from the path and the token from the query', () => {
    expect(watchTarget({ pathname: '/watch/run-1', search: `?access_token=${token}` })).toEqual({ sessionId: 'run-1', accessToken: token });
    expect(watchTarget({ pathname: '/watch/run%201/', search: '' })).toEqual({ sessionId: 'run 1', accessToken: '' });
    expect(watchTarget({ pathname: '/watch/%E0%A4%A', search: '?access_token=x' }).sessionId).toBe('');
  });
});

describe('Watch', () => {
  it('streams the run with the link token and shows it read-only: nothing to press', async () => {
    show();
    await waitFor(() => expect(sources).toHaveLength(1));
    expect(sources[0]!.url).toBe(`/api/auto-purchase/progress/run-1/events?access_token=${encodeURIComponent(token)}`);
    sources[0]!.open();
    sources[0]!.emit('snapshot', snapshot({ sessionId: 'run-1', currentStep: 'Buying INV-2' }), 3);

    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Live view of run run-1');
    expect(screen.getByTestId('run-status').dataset.status).toBe('running');
    expect(screen.getByTestId('current-step').textContent).toBe('Buying INV-2');
    expect(screen.getByTestId('connection').textContent).toBe('Live');
    const transactions = screen.getByRole('table', { name: 'Transactions' });
    expect(within(transactions).getAllByRole('row')).toHaveLength(4);
    expect(screen.getByRole('table', { name: 'Stock accounts' })).toBeTruthy();
    // No control that changes anything: no button, no form, no link, no log-in.
    expect(screen.queryAllByRole('button')).toEqual([]);
    expect(document.querySelectorAll('form, a[href], input')).toHaveLength(0);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('asks for the snapshot with the link token when the stream is given up, and resumes with it', async () => {
    show();
    await waitFor(() => expect(sources).toHaveLength(1));
    sources[0]!.open();
    sources[0]!.emit('snapshot', snapshot({ sessionId: 'run-1' }), 7);
    sources[0]!.refuse();
    await waitFor(() => expect(sources).toHaveLength(2));
    expect(vi.mocked(fetch).mock.calls.map(([url]) => url)).toEqual([`/api/auto-purchase/progress/run-1?access_token=${encodeURIComponent(token)}`]);
    expect(sources[1]!.url).toBe(`/api/auto-purchase/progress/run-1/events?access_token=${encodeURIComponent(token)}&lastEventId=7`);
  });

  it.each([401, 403])('says the link expired or is not valid on a %i, never showing a log-in', async (status) => {
    answer = () => json({ error: { code: status === 401 ? 'unauthorized' : 'forbidden', message: 'Expired' } }, status);
    show();
    await waitFor(() => expect(sources).toHaveLength(1));
    sources[0]!.refuse();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This link has expired or is not valid');
    expect(screen.queryByText('Loading the run…')).toBeNull();
    expect(document.querySelector('input[type="password"]')).toBeNull();
    // The admin app's session state is left alone: a refused link logs nobody out.
    expect(loggedIn()).toBeUndefined();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('an unknown run (404) is not a refused link', async () => {
    answer = () => json({ error: { code: 'not_found', message: 'No such run' } }, 404);
    show();
    await waitFor(() => expect(sources).toHaveLength(1));
    sources[0]!.refuse();
    expect(await screen.findByText('This run could not be loaded.')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('without a token in the address, says so and asks nothing', async () => {
    show('');
    expect((await screen.findByRole('alert')).textContent).toContain('This link has expired or is not valid');
    expect(sources).toEqual([]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('sends no Referer from the page while it shows (the token is in its address)', async () => {
    show();
    expect(document.head.querySelector('meta[name="referrer"]')?.getAttribute('content')).toBe('no-referrer');
    cleanup();
    expect(document.head.querySelector('meta[name="referrer"]')).toBeNull();
  });
});
