// Deleting a stock account, after a confirmation naming it. A run buying with it refuses (409).
import { createEffect, on } from 'solid-js';
import { api } from '../api.js';
import { showToast } from '../toasts.js';
import type { StockAccount } from '../../../src/domain/api.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { createFormAction } from './FormAction.js';

export interface AccountDeleteDialogProps {
  /** The account to delete; undefined keeps the dialog closed. */
  account: StockAccount | undefined;
  onClose: () => void;
  onDeleted: () => void;
}

export function AccountDeleteDialog(props: AccountDeleteDialogProps) {
  const action = createFormAction();
  createEffect(on(() => props.account, () => action.reset()));
  const confirm = () => {
    const account = props.account;
    if (!account) return;
    void action.run(async () => {
      await api('DELETE', `/api/admin/stock-accounts/${encodeURIComponent(account.id)}`);
      props.onClose();
      showToast(`Stock account ${account.username} deleted`, 'success');
      props.onDeleted();
    });
  };
  return (
    <ConfirmDialog
      open={props.account !== undefined}
      title="Delete stock account?"
      confirmLabel="Delete"
      busy={action.busy()}
      error={action.error()}
      onConfirm={confirm}
      onCancel={props.onClose}
    >
      <span class="font-medium text-slate-200">{props.account?.username}</span> will no longer buy anything. Transactions it bought keep
      its name.
    </ConfirmDialog>
  );
}
