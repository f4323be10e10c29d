// A page's title with its Refresh button, which spins while the page loads.
import { RefreshCw } from '../icons.js';

export function PageHeader(props: { id: string; title: string; loading: boolean; onRefresh: () => void }) {
  return (
    <div class="flex flex-wrap items-center justify-between gap-2">
      <h1 id={props.id} class="text-xl font-semibold text-slate-100">
        {props.title}
      </h1>
      <button
        type="button"
        class="flex items-center gap-1 rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-700 disabled:opacity-60"
        onClick={() => props.onRefresh()}
        disabled={props.loading}
      >
        <RefreshCw size={14} aria-hidden="true" class={props.loading ? 'animate-spin' : ''} /> Refresh
      </button>
    </div>
  );
}
