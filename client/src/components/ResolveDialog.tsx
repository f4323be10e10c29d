// Resolve an `unknown` transaction by hand (SPEC §4, §11): the admin says whether the purchase went
// through and why; the server settles the reserved robux and records it in the audit log. The
// outcome has no default: a wrong guess moves money, so it is always chosen.
import { createEffect, createSignal, on, Show } from 'solid-js';
import { api } from '../api.js';
import type { Transaction } from '../../../src/domain/api.js';
import { showToast } from '../toasts.js';
import { createFormAction } from './FormAction.js';
import { FormDialog } from './FormDialog.js';
import { FormSelect, FormTextArea } from './FormField.js';

/** The longest note the server takes (src/routes/transactions.ts). */
export const resolveNoteMaxLength = 500;

type Outcome = '' | 'completed' | 'failed';
const outcomeOptions = [
  { value: '', label: 'Choose…' },
  { value: 'completed', label: 'Completed' },
  { value: 'failed', label: 'Failed — not bought' },
] as const;

export interface ResolveDialogProps {
  /** The unknown transaction being resolved; undefined keeps the dialog closed. */
  transaction: Transaction | undefined;
  onClose: () => void;
  onResolved: (transaction: Transaction) => void;
}

export function ResolveDialog(props: ResolveDialogProps) {
  const action = createFormAction();
  const [outcome, setOutcome] = createSignal<Outcome>('');
  const [note, setNote] = createSignal('');
  createEffect(
    on(
      () => props.transaction,
      () => {
        action.reset();
        setOutcome('');
        setNote('');
      },
    ),
  );
  const submit = () => {
    const t = props.transaction;
    if (!t) return;
    const chosen = outcome();
    const text = note().trim();
    if (!chosen) return action.setError('Choose whether the purchase went through.');
    if (!text) return action.setError('Write a note: what you checked, and why.');
    void action.run(async () => {
      const answer = await api<{ transaction: Transaction }>('POST', `/api/transactions/${t.id}/resolve`, { outcome: chosen, note: text });
      props.onClose();
      showToast(
        chosen === 'completed'
          ? `${t.invoiceId}: resolved as completed; its robux stay spent.`
          : `${t.invoiceId}: resolved as not bought; it is failed and its robux went back to the account.`,
        'success',
      );
      props.onResolved(answer.transaction);
    });
  };
  return (
    <FormDialog
      open={props.transaction !== undefined}
      onClose={props.onClose}
      title="Resolve transaction"
      description={
        <>
          <span class="font-mono text-slate-200">{props.transaction?.invoiceId}</span>: the gateway never said whether it was bought.
          <Show when={props.transaction?.gamepass.price != null}>
            {' '}
            Its {props.transaction!.gamepass.price} robux stay reserved
            <Show when={props.transaction?.usedAccount}> on {props.transaction!.usedAccount}</Show> until you say: Completed keeps them
            spent; Failed gives them back and fails the order.
          </Show>
        </>
      }
      error={action.error()}
      busy={action.busy()}
      submitLabel="Save"
      onSubmit={submit}
    >
      <FormSelect label="Outcome" value={outcome()} options={outcomeOptions} onChange={setOutcome} disabled={action.busy()} />
      <FormTextArea
        label="Note"
        value={note()}
        onInput={setNote}
        required
        maxLength={resolveNoteMaxLength}
        disabled={action.busy()}
        hint="Kept in the audit log and shown beside the order, e.g. what the Roblox transaction history says."
      />
    </FormDialog>
  );
}
