// The Add and Update forms of a stock account. The Roblox cookie is sent once and never shown
// again: the field is emptied when the form closes and after every submit. A save toasts, closes
// the form and opens the progress modal on the run it started.
import { createEffect, createSignal, on, Show } from 'solid-js';
import { api } from '../api.js';
import { showRun } from '../progress.js';
import { showToast } from '../toasts.js';
import { createFormAction } from './FormAction.js';
import { FormDialog } from './FormDialog.js';
import { FormSecretField, FormSelect } from './FormField.js';
import type { StockAccount } from '../../../src/domain/api.js';

interface SavedAccount {
  stockAccount: StockAccount;
  autoPurchase: { sessionId: string };
}

const cookieLabel = 'Roblox cookie';
const emptyCookie = 'Paste the Roblox cookie first.';

/** Toast, refresh the table, and follow the run; the table refreshes again when the modal closes. */
function announceSaved(saved: SavedAccount, message: string, refresh: () => void) {
  showToast(message, 'success');
  refresh();
  showRun(saved.autoPurchase.sessionId, refresh);
}

/** The cookie field's value, and the form action that always empties it when it ends. */
function createCookieForm() {
  const [cookie, setCookie] = createSignal('');
  const action = createFormAction();
  const submitWith = (send: () => Promise<void>) => action.run(send).finally(() => setCookie(''));
  const reset = () => {
    setCookie('');
    action.reset();
  };
  return { cookie, setCookie, action, submitWith, reset };
}

export interface AddAccountDialogProps {
  open: boolean;
  onClose: () => void;
  /** The ids in the table: a cookie of one of them updates it (the server answers 200). */
  knownIds: readonly string[];
  onSaved: () => void;
}

export function AddAccountDialog(props: AddAccountDialogProps) {
  const form = createCookieForm();
  const close = () => {
    form.reset();
    props.onClose();
  };
  const submit = () => {
    const robloxCookie = form.cookie().trim();
    if (!robloxCookie) return form.action.setError(emptyCookie);
    void form.submitWith(async () => {
      const saved = await api<SavedAccount>('POST', '/api/admin/stock-accounts', { robloxCookie });
      const account = saved.stockAccount;
      // 201 makes a new row; 200 (the same platform account again) updated the stored one.
      const created = !props.knownIds.includes(account.id) && account.createdAt === account.updatedAt;
      close();
      announceSaved(saved, created ? 'Stock account created successfully' : 'Stock account updated successfully', props.onSaved);
    });
  };
  return (
    <FormDialog
      open={props.open}
      onClose={close}
      title="Add stock account"
      description="The cookie is checked with the purchase gateway, stored encrypted and never shown again. A purchase run starts once it is saved."
      error={form.action.error()}
      busy={form.action.busy()}
      submitLabel="Save"
      onSubmit={submit}
    >
      <FormSecretField label={cookieLabel} value={form.cookie()} onInput={form.setCookie} required disabled={form.action.busy()} />
    </FormDialog>
  );
}

type Switchable = 'active' | 'inactive';
const statusOptions = [
  { value: 'active', label: 'Active' },
  { value: 'inactive', label: 'Inactive' },
] as const;

export interface UpdateAccountDialogProps {
  /** The account being updated; undefined keeps the dialog closed. */
  account: StockAccount | undefined;
  onClose: () => void;
  onSaved: () => void;
}

export function UpdateAccountDialog(props: UpdateAccountDialogProps) {
  const form = createCookieForm();
  const [status, setStatus] = createSignal<Switchable>('active');
  createEffect(
    on(
      () => props.account,
      (account) => {
        form.reset();
        setStatus(account?.status === 'inactive' ? 'inactive' : 'active');
      },
    ),
  );
  const close = () => {
    form.reset();
    props.onClose();
  };
  const submit = () => {
    const account = props.account;
    if (!account) return;
    const robloxCookie = form.cookie().trim() || undefined;
    // Only a switch between active and inactive is sent: an invalid account becomes active again
    // through a cookie the gateway accepts, never by the select alone.
    const switched = (status() === 'inactive') !== (account.status === 'inactive');
    const body = { robloxCookie, status: switched ? status() : undefined };
    void form.submitWith(async () => {
      const saved = await api<SavedAccount>('PUT', `/api/admin/stock-accounts/${encodeURIComponent(account.id)}`, body);
      close();
      announceSaved(saved, 'Stock account updated successfully', props.onSaved);
    });
  };
  return (
    <FormDialog
      open={props.account !== undefined}
      onClose={close}
      title="Update stock account"
      description={
        <>
          <span class="font-medium text-slate-200">{props.account?.username}</span>: its balance is checked again and a purchase run
          starts once it is saved.
        </>
      }
      error={form.action.error()}
      busy={form.action.busy()}
      submitLabel="Save"
      onSubmit={submit}
    >
      <FormSecretField
        label={cookieLabel}
        value={form.cookie()}
        onInput={form.setCookie}
        disabled={form.action.busy()}
        hint="Optional: leave it empty to keep the stored cookie."
      />
      <FormSelect label="Status" value={status()} options={statusOptions} onChange={setStatus} disabled={form.action.busy()} />
      <Show when={props.account?.status === 'invalid'}>
        <p class="text-xs text-orange-300">The gateway rejected this account's stored cookie: paste a new one to use it again.</p>
      </Show>
    </FormDialog>
  );
}
