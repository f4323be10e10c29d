// Coloured status badges for runs, run transactions and stock accounts. A failed transaction's
// badge carries its error twice: as `title` (what scripts and screen readers read) and in a
// Kobalte tooltip (what a mouse or keyboard user sees without waiting for the native one).
import { Tooltip } from '@kobalte/core/tooltip';
import { CircleCheck, CircleHelp, CircleMinus, CircleX, Hourglass, LoaderCircle, Zap } from '../icons.js';
import { type Component, createRoot, type JSX, Show, splitProps, untrack } from 'solid-js';
import type { RunAccountStatus, RunStatus, RunTransactionStatus } from '../../../src/domain/run.js';

interface Look {
  label: string;
  /** Tailwind classes: text, background and border colours. */
  tone: string;
  icon?: Component<{ size?: number; class?: string; 'aria-hidden'?: 'true' }>;
  spin?: boolean;
}

const blue = 'border-blue-500/40 bg-blue-500/15 text-blue-300';
const green = 'border-green-500/40 bg-green-500/15 text-green-300';
const red = 'border-red-500/40 bg-red-500/15 text-red-300';
const yellow = 'border-yellow-500/40 bg-yellow-500/15 text-yellow-300';
const orange = 'border-orange-500/40 bg-orange-500/15 text-orange-300';
const grey = 'border-slate-500/40 bg-slate-500/15 text-slate-300';

const runLooks: Record<RunStatus, Look> = {
  running: { label: 'Running', tone: blue, icon: Zap },
  completed: { label: 'Completed', tone: green, icon: CircleCheck },
  failed: { label: 'Failed', tone: red, icon: CircleX },
};

const transactionLooks: Record<RunTransactionStatus, Look> = {
  pending: { label: 'Pending', tone: grey, icon: Hourglass },
  processing: { label: 'Processing', tone: blue, icon: LoaderCircle, spin: true },
  completed: { label: 'Completed', tone: green, icon: CircleCheck },
  failed: { label: 'Failed', tone: red, icon: CircleX },
  skipped: { label: 'Skipped', tone: yellow, icon: CircleMinus },
  unknown: { label: 'Unknown', tone: orange, icon: CircleHelp },
};

const accountLooks: Record<RunAccountStatus, Look> = {
  active: { label: 'Active', tone: green },
  inactive: { label: 'Inactive', tone: grey },
  invalid: { label: 'Invalid', tone: red, icon: CircleX },
};

const badgeClass = 'inline-flex items-center gap-1 whitespace-nowrap rounded-full border font-medium';

type SpanAttributes = Omit<JSX.HTMLAttributes<HTMLSpanElement>, 'children' | 'class'>;
type IconComponent = NonNullable<Look['icon']>;

/**
 * A badge's icon: each icon, at each size, is built once by its component, and every badge gets a
 * copy of that element. A table of badges changing status (a window of rows scrolling through a
 * run) then clones a few nodes, instead of running an icon component (a `For` of `Dynamic`s, one
 * per path) each time.
 */
const iconTemplates = new WeakMap<IconComponent, Map<string, Element>>();
function iconElement(icon: IconComponent, size: number, spin: boolean): Node {
  let sized = iconTemplates.get(icon);
  if (!sized) iconTemplates.set(icon, (sized = new Map()));
  const key = `${size}${spin ? ' spin' : ''}`;
  let template = sized.get(key);
  if (!template) {
    template = createRoot((dispose) => {
      const built = untrack(() => icon({ size, class: spin ? 'animate-spin' : '', 'aria-hidden': 'true' })) as unknown as Element;
      dispose();
      return built;
    });
    sized.set(key, template);
  }
  return template.cloneNode(true);
}

const badgeClasses = (look: Look, large?: boolean) => `${badgeClass} ${large ? 'px-2.5 py-1 text-sm' : 'px-2 py-0.5 text-xs'} ${look.tone}`;
const badgeIcon = (look: Look, large?: boolean) => (look.icon ? iconElement(look.icon, large ? 16 : 14, !!look.spin) : undefined);

/** The pill itself; extra attributes (data-testid, title…) land on the outer span. */
function Badge(props: { look: Look; large?: boolean } & SpanAttributes) {
  const [own, rest] = splitProps(props, ['look', 'large']);
  return (
    <span {...rest} class={badgeClasses(own.look, own.large)}>
      {badgeIcon(own.look, own.large)}
      {own.look.label}
    </span>
  );
}

/** The same pill with no extra attributes: no spread, as many of these as there are rows. */
function PlainBadge(props: { look: Look }) {
  return (
    <span class={badgeClasses(props.look)}>
      {badgeIcon(props.look)}
      {props.look.label}
    </span>
  );
}

/** Running (blue, lightning) / Completed (green, check) / Failed (red, cross); `compact` in tables. */
export function RunStatusBadge(props: { status: RunStatus; compact?: boolean } & SpanAttributes) {
  const [own, rest] = splitProps(props, ['status', 'compact']);
  return <Badge look={runLooks[own.status]} large={!own.compact} data-status={own.status} {...rest} />;
}

/** A transaction's status; a failed one shows its error in a tooltip and as `title`. */
export function TransactionStatusBadge(props: { status: RunTransactionStatus; error?: string | null }) {
  const look = () => transactionLooks[props.status];
  return (
    <Show when={props.status === 'failed' && props.error} fallback={<PlainBadge look={look()} />}>
      {(error) => (
        <Tooltip openDelay={200} placement="top">
          <Tooltip.Trigger as="span" tabIndex={0} class="cursor-help rounded-full outline-none focus-visible:ring-2 focus-visible:ring-red-400">
            <Badge look={look()} title={error()} />
          </Tooltip.Trigger>
          <Tooltip.Portal>
            {/* A top layer: the open progress dialog hides the rest of the page from screen readers, but not this. */}
            <Tooltip.Content
              data-kb-top-layer=""
              class="z-[60] max-w-xs rounded-md border border-red-500/40 bg-slate-900 px-2 py-1 text-xs text-red-200 shadow-lg"
            >
              {error()}
            </Tooltip.Content>
          </Tooltip.Portal>
        </Tooltip>
      )}
    </Show>
  );
}

/** A stock account's status: active (green), inactive (grey), invalid (red). */
export function AccountStatusBadge(props: { status: RunAccountStatus }) {
  return <PlainBadge look={accountLooks[props.status]} />;
}
