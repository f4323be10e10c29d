// Status pills for the stock-accounts and transactions tables: a colour, an icon and a word, so
// the status never rests on colour alone.
import { CircleAlert, CircleCheck, CirclePause, CircleQuestionMark, CircleX, Hourglass, LoaderCircle } from '../icons.js';
import type { Component } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import type { RunAccountStatus } from '../../../src/domain/run.js';

/** A stored transaction's status (a run's `skipped` never reaches the table). */
export type TransactionStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'unknown';
export type AccountStatus = RunAccountStatus;

interface Look {
  label: string;
  tone: string;
  icon: Component<{ size?: number; class?: string; 'aria-hidden'?: 'true' }>;
  spin?: boolean;
}

const green = 'border-green-500/40 bg-green-500/15 text-green-300';
const red = 'border-red-500/40 bg-red-500/15 text-red-300';
const grey = 'border-slate-500/40 bg-slate-500/15 text-slate-300';
const blue = 'border-blue-500/40 bg-blue-500/15 text-blue-300';
const orange = 'border-orange-500/40 bg-orange-500/15 text-orange-300';

const looks: Record<TransactionStatus | AccountStatus, Look> = {
  completed: { label: 'Completed', tone: green, icon: CircleCheck },
  failed: { label: 'Failed', tone: red, icon: CircleX },
  pending: { label: 'Pending', tone: grey, icon: Hourglass },
  processing: { label: 'Processing', tone: blue, icon: LoaderCircle, spin: true },
  unknown: { label: 'Unknown', tone: orange, icon: CircleQuestionMark },
  active: { label: 'Active', tone: green, icon: CircleCheck },
  inactive: { label: 'Inactive', tone: grey, icon: CirclePause },
  invalid: { label: 'Invalid', tone: red, icon: CircleAlert },
};

/** `title` carries a failed transaction's error, or why an account is invalid. */
export function TableStatusBadge(props: { status: TransactionStatus | AccountStatus; title?: string }) {
  const look = () => looks[props.status] ?? { label: props.status, tone: grey, icon: CircleQuestionMark };
  return (
    <span
      class={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-medium whitespace-nowrap ${look().tone}`}
      title={props.title}
    >
      <Dynamic component={look().icon} size={14} class={look().spin ? 'animate-spin' : undefined} aria-hidden="true" />
      {look().label}
    </span>
  );
}
