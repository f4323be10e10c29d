// The admin app: log-in gate, navigation, pages, and the one progress modal. A watch link's page
// (/watch/…) is drawn outside the gate: whoever opens it is not logged in.
import { A, Navigate, Route, Router, type RouteSectionProps } from '@solidjs/router';
import { LogOut, Menu } from './icons.js';
import { createSignal, Match, onMount, Show, Switch } from 'solid-js';
import { checkSession, loggedIn, logOut } from './api.js';
import { ProgressModal } from './components/ProgressModal.js';
import { Login } from './pages/Login.js';
import { RunHistory } from './pages/RunHistory.js';
import { Settings } from './pages/Settings.js';
import { Stats } from './pages/Stats.js';
import { StockAccounts } from './pages/StockAccounts.js';
import { Transactions } from './pages/Transactions.js';
import { isWatchPath, Watch } from './pages/Watch.js';
import { closeRun, openRun } from './progress.js';
import { Toaster } from './toasts.js';

const links = [
  { href: '/accounts', label: 'Stock accounts' },
  { href: '/transactions', label: 'Transactions' },
  { href: '/history', label: 'Run history' },
  { href: '/stats', label: 'Stats' },
  { href: '/settings', label: 'Settings' },
];

function Layout(props: RouteSectionProps) {
  const [menuOpen, setMenuOpen] = createSignal(false);
  return (
    <div class="mx-auto max-w-6xl px-3 pb-12 sm:px-6">
      <header class="flex items-center justify-between gap-3 border-b border-slate-700 py-3">
        <span class="font-semibold text-slate-100">Auto-purchase</span>
        <button
          type="button"
          class="rounded-md border border-slate-600 p-2 text-slate-200 md:hidden"
          aria-label="Menu"
          aria-expanded={menuOpen()}
          aria-controls="main-nav"
          onClick={() => setMenuOpen(!menuOpen())}
        >
          <Menu size={18} aria-hidden="true" />
        </button>
        <nav
          id="main-nav"
          class={`${menuOpen() ? 'flex' : 'hidden'} absolute top-14 right-3 left-3 z-40 flex-col gap-1 rounded-lg bg-[#1e293b] p-2 shadow-xl md:static md:flex md:flex-row md:items-center md:bg-transparent md:p-0 md:shadow-none`}
        >
          {links.map((link) => (
            <A
              href={link.href}
              class="rounded-md px-3 py-2 text-sm text-slate-300 hover:bg-slate-700 hover:text-white"
              activeClass="bg-slate-700 text-white"
              onClick={() => setMenuOpen(false)}
            >
              {link.label}
            </A>
          ))}
          <button
            type="button"
            class="flex items-center gap-1 rounded-md px-3 py-2 text-sm text-slate-300 hover:bg-slate-700 hover:text-white"
            onClick={() => void logOut()}
          >
            <LogOut size={16} aria-hidden="true" /> Log out
          </button>
        </nav>
      </header>
      <main class="pt-4">{props.children}</main>
    </div>
  );
}

export function App() {
  // No session check, no navigation: the watch link is the page's only credential.
  if (isWatchPath(window.location.pathname)) return <Watch />;
  onMount(() => void checkSession());
  return (
    <>
      <Switch fallback={<p class="p-6 text-slate-400">Loading…</p>}>
        <Match when={loggedIn() === false}>
          <Login />
        </Match>
        <Match when={loggedIn() === true}>
          <Router root={Layout}>
            <Route path="/" component={() => <Navigate href="/accounts" />} />
            <Route path="/accounts" component={StockAccounts} />
            <Route path="/transactions" component={Transactions} />
            <Route path="/history" component={RunHistory} />
            <Route path="/stats" component={Stats} />
            <Route path="/settings" component={Settings} />
            <Route path="*" component={() => <Navigate href="/accounts" />} />
          </Router>
          <Show when={openRun()}>{(run) => <ProgressModal sessionId={run().sessionId} onClose={closeRun} />}</Show>
        </Match>
      </Switch>
      <Toaster />
    </>
  );
}
