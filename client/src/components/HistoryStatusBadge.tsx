// A run's status as a badge: Running (blue, lightning), Completed (green, check), Failed (red, cross).
import { Check, X, Zap } from '../icons.js';
import { Match, Switch } from 'solid-js';
import type { RunStatus } from '../../../src/domain/run.js';

const styles: Record<RunStatus, string> = {
  running: 'border-blue-500/50 bg-blue-500/15 text-blue-200',
  completed: 'border-green-500/50 bg-green-500/15 text-green-200',
  failed: 'border-red-500/50 bg-red-500/15 text-red-200',
};
const labels: Record<RunStatus, string> = { running: 'Running', completed: 'Completed', failed: 'Failed' };

export function HistoryStatusBadge(props: { status: RunStatus; error?: string }) {
  return (
    <span
      class={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-medium whitespace-nowrap ${styles[props.status] ?? 'border-slate-500 text-slate-200'}`}
      title={props.error}
    >
      <Switch>
        <Match when={props.status === 'running'}>
          <Zap size={12} aria-hidden="true" />
        </Match>
        <Match when={props.status === 'completed'}>
          <Check size={12} aria-hidden="true" />
        </Match>
        <Match when={props.status === 'failed'}>
          <X size={12} aria-hidden="true" />
        </Match>
      </Switch>
      {labels[props.status] ?? props.status}
    </span>
  );
}
