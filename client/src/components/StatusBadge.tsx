// The one status pill of the client: a colour, an icon and a word for each status a run, a run's
// row, an order or a stock account can have, so a status never rests on colour alone. A failed row
// of the progress modal carries its error twice: as `title` (what scripts and screen readers read)
// and in a Kobalte tooltip (what a mouse or keyboard user sees without waiting for the native one).
import { Tooltip } from '@kobalte/core/tooltip';
import { CircleAlert, CircleCheck, CircleMinus, CirclePause, CircleQuestionMark, CircleX, Hourglass, LoaderCircle, Zap } from '../icons.js';
import { type Component, createRoot, type JSX, Show, splitProps, untrack } from 'solid-js';
import type { AccountStatus } from '../../../src/domain/api.js';
import type { RunStatus, RunTransactionStatus } from '../../../src/domain/run.js';

/** Every status word a badge draws (an order's statuses are a run row's, less `skipped`). */
export type BadgeStatus = RunStatus | RunTransactionStatus | AccountStatus;

interface Look {
  label: string;
  /** Tailwind classes: text, background and border colours. */
  tone: string;
  icon: Component<{ size?: number; class?: string; 'aria-hidden'?: 'true' }>;
  spin?: boolean;
}

const blue = 'border-blue-500/40 bg-blue-500/15 text-blue-300';
const green = 'border-green-500/40 bg-green-500/15 text-green-300';
const red = 'border-red-500/40 bg-red-500/15 text-red-300';
const yellow = 'border-yellow-500/40 bg-yellow-500/15 text-yellow-300';
const orange = 'border-orange-500/40 bg-orange-500/15 text-orange-300';
const grey = 'border-slate-500/40 bg-slate-500/15 text-slate-300';

const looks: Record<BadgeStatus, Look> = {
  running: { label: 'Running', tone: blue, icon: Zap },
  pending: { label: 'Pending', tone: grey, icon: Hourglass },
  processing: { label: 'Processing', tone: blue, icon: LoaderCircle, spin: true },
  completed: { label: 'Completed', tone: green, icon: CircleCheck },
  failed: { label: 'Failed', tone: red, icon: CircleX },
  skipped: { label: 'Skipped', tone: yellow, icon: CircleMinus },
  unknown: { label: 'Unknown', tone: orange, icon: CircleQuestionMark },
  active: { label: 'Active', tone: green, icon: CircleCheck },
  inactive: { label: 'Inactive', tone: grey, icon: CirclePause },
  invalid: { label: 'Invalid', tone: red, icon: CircleAlert },
};

/** The word a badge shows for a status (what a status filter lists too). */
export const statusLabel = (status: BadgeStatus): string => looks[status].label;

const badgeClass = 'inline-flex items-center gap-1 whitespace-nowrap rounded-full border font-medium';

type SpanAttributes = Omit<JSX.HTMLAttributes<HTMLSpanElement>, 'children' | 'class'>;
type IconComponent = Look['icon'];

// Each icon is built once per size and cloned: a window of rows scrolling through a run clones a
// few nodes instead of running an icon component (a `For` of `Dynamic`s) per badge.
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
const badgeIcon = (look: Look, large?: boolean) => iconElement(look.icon, large ? 16 : 14, !!look.spin);

/** A status pill; extra attributes (data-testid, title…) land on its span. `large` in a header. */
export function StatusBadge(props: { status: BadgeStatus; large?: boolean } & SpanAttributes) {
  const [own, rest] = splitProps(props, ['status', 'large']);
  const look = () => looks[own.status];
  return (
    <span {...rest} class={badgeClasses(look(), own.large)}>
      {badgeIcon(look(), own.large)}
      {look().label}
    </span>
  );
}

/** The same pill with no extra attributes: no spread, as many of these as a run has rows. */
function PlainBadge(props: { status: BadgeStatus }) {
  const look = () => looks[props.status];
  return (
    <span class={badgeClasses(look())}>
      {badgeIcon(look())}
      {look().label}
    </span>
  );
}

/** A run row's status in the progress modal; a failed one shows its error in a tooltip and as `title`. */
export function TransactionStatusBadge(props: { status: RunTransactionStatus; error?: string | null }) {
  return (
    <Show when={props.status === 'failed' && props.error} fallback={<PlainBadge status={props.status} />}>
      {(error) => (
        <Tooltip openDelay={200} placement="top">
          <Tooltip.Trigger as="span" tabIndex={0} class="cursor-help rounded-full outline-none focus-visible:ring-2 focus-visible:ring-red-400">
            <StatusBadge status={props.status} title={error()} />
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
