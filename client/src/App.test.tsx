// The app's gate: a watch link's page is drawn without the session check or the navigation;
// anything else asks the server first whether the cookie is good.
import { cleanup, render, screen, waitFor } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The stats page's charts (uPlot) need a layout engine jsdom lacks; it is not what is tested here.
vi.mock('./pages/Stats.js', () => ({ Stats: () => null }));
const { App } = await import('./App.js');

const eventSources: string[] = [];
class QuietEventSource extends EventTarget {
  readyState = 0;
  constructor(url: string) {
    super();
    eventSources.push(url);
  }
  close() {
    this.readyState = 2;
  }
}

const fetched = () => vi.mocked(fetch).mock.calls.map(([url]) => String(url));

beforeEach(() => {
  eventSources.length = 0;
  vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
  vi.stubGlobal('EventSource', QuietEventSource);
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(JSON.stringify({ stockAccounts: [] }), { status: 200, headers: { 'content-type': 'application/json' } })),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  window.history.replaceState(null, '', '/');
});

describe('App', () => {
  it('renders /watch/:sessionId without the session check, the log-in form or the navigation', async () => {
    window.history.replaceState(null, '', '/watch/run-1?access_token=wl1.abc');
    render(() => <App />);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Live view of run run-1');
    await waitFor(() => expect(eventSources).toEqual(['/api/auto-purchase/progress/run-1/events?access_token=wl1.abc']));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fetched()).toEqual([]);
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(screen.queryByLabelText('Admin token')).toBeNull();
    expect(document.querySelector('input[type="password"]')).toBeNull();
    expect(screen.queryByText('Loading…')).toBeNull();
  });

  it('anywhere else, asks whether the session is good first, then shows the pages with Settings in the navigation', async () => {
    window.history.replaceState(null, '', '/accounts');
    render(() => <App />);
    await waitFor(() => expect(fetched()[0]).toBe('/api/admin/stock-accounts'));
    const settings = await screen.findByRole('link', { name: 'Settings' });
    expect(settings.getAttribute('href')).toBe('/settings');
    expect(eventSources).toEqual([]);
  });
});
