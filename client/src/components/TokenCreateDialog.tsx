// Creating an API token (SPEC §12): a name, a scope and an optional last day; then the token itself,
// shown this once to copy. Closing the dialog forgets it: it is held nowhere else in the client.
import { createSignal, Show } from 'solid-js';
import type { CreatedApiToken } from '../../../src/domain/api.js';
import { createApiToken, type TokenScope } from '../api.js';
import { copyToClipboard } from '../clipboard.js';
import { Copy, TriangleAlert } from '../icons.js';
import { showToast } from '../toasts.js';
import { createFormAction } from './FormAction.js';
import { FormButton } from './FormButton.js';
import { FormDialog } from './FormDialog.js';
import { FormSelect, FormTextField } from './FormField.js';
import { dayEndIso, localDay } from './HistoryDates.js';

export const scopeOptions: readonly { value: TokenScope; label: string; explanation: string }[] = [
  { value: 'read', label: 'Read', explanation: 'Sees runs, orders, accounts and stats; changes nothing.' },
  { value: 'operate', label: 'Operate', explanation: 'Also starts runs, adds orders, retries, reconciles and resolves them.' },
  { value: 'admin', label: 'Admin', explanation: 'Everything, stock accounts and tokens included.' },
];

const nameMax = 64;

export interface TokenCreateDialogProps {
  open: boolean;
  onClose: () => void;
  /** Called as soon as the token exists (the list behind the dialog refreshes). */
  onCreated: () => void;
}

export function TokenCreateDialog(props: TokenCreateDialogProps) {
  const [name, setName] = createSignal('');
  const [scope, setScope] = createSignal<TokenScope>('read');
  const [lastDay, setLastDay] = createSignal('');
  // The answer that carries the token: kept only while this dialog shows it.
  const [created, setCreated] = createSignal<CreatedApiToken>();
  const action = createFormAction();

  const close = () => {
    setCreated(undefined);
    setName('');
    setScope('read');
    setLastDay('');
    action.reset();
    props.onClose();
  };

  const submit = () => {
    const trimmed = name().trim();
    if (!trimmed) return action.setError('Give the token a name (what will use it).');
    const expiresAt = lastDay() ? (dayEndIso(lastDay()) ?? null) : null;
    if (expiresAt && Date.parse(expiresAt) <= Date.now()) return action.setError('Pick an expiry day from today on, or leave it empty.');
    void action.run(async () => {
      setCreated(await createApiToken({ name: trimmed, scope: scope(), expiresAt }));
      props.onCreated();
    });
  };

  const explanation = () => scopeOptions.find((option) => option.value === scope())?.explanation;

  return (
    <FormDialog
      open={props.open}
      onClose={close}
      title={created() ? 'Token created' : 'Create API token'}
      description={created() ? undefined : 'For a script or another service: it sends the token as "Authorization: Bearer ap_…".'}
      error={action.error()}
      busy={action.busy()}
      submitLabel={created() ? 'Done' : 'Create'}
      noCancel={created() !== undefined}
      onSubmit={() => (created() ? close() : submit())}
    >
      <Show
        when={created()}
        fallback={
          <>
            <FormTextField label="Name" value={name()} onInput={setName} required maxLength={nameMax} disabled={action.busy()} hint="Up to 64 characters, e.g. “invoice importer”." />
            <FormSelect label="Scope" value={scope()} options={scopeOptions} onChange={setScope} disabled={action.busy()} hint={explanation()} />
            <FormTextField
              label="Expires after (optional)"
              type="date"
              value={lastDay()}
              onInput={setLastDay}
              min={localDay(new Date())}
              disabled={action.busy()}
              hint="The last day it works; empty for a token that does not expire."
            />
          </>
        }
      >
        {(answer) => <TokenShownOnce token={answer().token} name={answer().apiToken.name} />}
      </Show>
    </FormDialog>
  );
}

function TokenShownOnce(props: { token: string; name: string }) {
  const [copyByHand, setCopyByHand] = createSignal(false);
  let field: HTMLInputElement | undefined;
  const copy = async () => {
    if (await copyToClipboard(props.token)) return showToast('Token copied', 'success');
    setCopyByHand(true);
    field?.select();
  };
  return (
    <div class="space-y-3">
      <p class="flex gap-2 rounded-md border border-amber-500/40 bg-amber-500/10 px-3 py-2 text-sm text-amber-200">
        <TriangleAlert size={18} aria-hidden="true" class="mt-0.5 shrink-0" />
        <span>
          Copy the token of <span class="font-medium">{props.name}</span> now: it will not be shown again. Only its first characters stay in
          the list.
        </span>
      </p>
      <div class="flex gap-2">
        <input
          ref={field}
          type="text"
          readOnly
          aria-label="New token"
          spellcheck={false}
          autocomplete="off"
          class="min-w-0 flex-1 rounded-md border border-slate-600 bg-slate-900 px-3 py-2 font-mono text-sm text-slate-100"
          value={props.token}
          onFocus={(event) => event.currentTarget.select()}
        />
        <FormButton variant="secondary" onClick={() => void copy()}>
          <Copy size={16} aria-hidden="true" />
          Copy
        </FormButton>
      </div>
      <Show when={copyByHand()}>
        <p class="text-xs text-slate-400">This browser cannot copy here: the token is selected, copy it by hand.</p>
      </Show>
    </div>
  );
}
