// The API tokens section of Settings (SPEC §12): the list (never a token, only its first
// characters), Create token, and Revoke after a confirmation. A revoked token stops working at once.
import { createEffect, createSignal, For, on, onMount, Show } from 'solid-js';
import type { ApiTokenView } from '../../../src/domain/api.js';
import { ApiError, listApiTokens, revokeApiToken } from '../api.js';
import { KeyRound, Plus, Trash2 } from '../icons.js';
import { showToast } from '../toasts.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { createFormAction } from './FormAction.js';
import { SettingsSection } from './SettingsSection.js';
import { FormButton } from './FormButton.js';
import { createTableData } from './TableData.js';
import { tableCellClass, tableRowClass, TableShell, TableTime } from './TableShell.js';
import { scopeOptions, TokenCreateDialog } from './TokenCreateDialog.js';

const columns = [
  { label: 'Name' },
  { label: 'Scope' },
  { label: 'Token' },
  { label: 'Created' },
  { label: 'Last used' },
  { label: 'Expires' },
  { label: 'Actions', hiddenLabel: true },
];

const scopeLook: Record<ApiTokenView['scope'], string> = {
  read: 'border-slate-500 text-slate-200',
  operate: 'border-blue-500/60 text-blue-200',
  admin: 'border-orange-500/60 text-orange-200',
};

export function ApiTokens() {
  const table = createTableData(listApiTokens);
  const tokens = () => table.data() ?? [];
  const refresh = () => void table.reload();
  onMount(refresh);

  const [creating, setCreating] = createSignal(false);
  const [revoking, setRevoking] = createSignal<ApiTokenView>();

  return (
    <SettingsSection
      id="api-tokens-title"
      title="API tokens"
      icon={<KeyRound size={18} aria-hidden="true" />}
      description="For scripts and other services. A token is shown once, when it is created."
      action={
        <FormButton onClick={() => setCreating(true)}>
          <Plus size={16} aria-hidden="true" />
          Create token
        </FormButton>
      }
    >

      <TableShell
        label="API tokens"
        columns={columns}
        rowCount={tokens().length}
        empty="No API tokens: create one for a script or another service"
        loading={table.loading()}
        error={table.error()}
        onRetry={refresh}
      >
        <For each={tokens()}>{(token) => <TokenRow token={token} onRevoke={setRevoking} />}</For>
      </TableShell>

      <TokenCreateDialog open={creating()} onClose={() => setCreating(false)} onCreated={refresh} />
      <RevokeDialog token={revoking()} onClose={() => setRevoking(undefined)} onRevoked={refresh} />
    </SettingsSection>
  );
}

function TokenRow(props: { token: ApiTokenView; onRevoke: (token: ApiTokenView) => void }) {
  const expired = () => props.token.expiresAt !== null && Date.parse(props.token.expiresAt) <= Date.now();
  const scopeLabel = () => scopeOptions.find((option) => option.value === props.token.scope)?.label ?? props.token.scope;
  return (
    <tr data-key={props.token.id} class={tableRowClass}>
      <td class={`${tableCellClass} font-medium break-all text-slate-100`}>{props.token.name}</td>
      <td class={tableCellClass}>
        <span class={`rounded-full border px-2 py-0.5 text-xs font-medium ${scopeLook[props.token.scope]}`}>{scopeLabel()}</span>
      </td>
      <td class={`${tableCellClass} font-mono text-xs whitespace-nowrap text-slate-300`}>{props.token.prefix}…</td>
      <td class={tableCellClass}>
        <TableTime iso={props.token.createdAt} />
      </td>
      <td class={tableCellClass}>
        <TimeOrNever iso={props.token.lastUsedAt} />
      </td>
      <td class={tableCellClass}>
        <TimeOrNever iso={props.token.expiresAt} />
        <Show when={expired()}>
          <span class="ml-1.5 text-xs text-red-300">expired</span>
        </Show>
      </td>
      <td class={`${tableCellClass} text-right`}>
        <FormButton variant="ghostDanger" small aria-label={`Revoke ${props.token.name}`} onClick={() => props.onRevoke(props.token)}>
          <Trash2 size={14} aria-hidden="true" />
          Revoke
        </FormButton>
      </td>
    </tr>
  );
}

function TimeOrNever(props: { iso: string | null }) {
  return (
    <Show when={props.iso} fallback={<span class="text-slate-500">never</span>}>
      {(iso) => <TableTime iso={iso()} />}
    </Show>
  );
}

function RevokeDialog(props: { token: ApiTokenView | undefined; onClose: () => void; onRevoked: () => void }) {
  const action = createFormAction();
  createEffect(on(() => props.token, () => action.reset()));
  const confirm = () => {
    const token = props.token;
    if (!token) return;
    void action.run(async () => {
      try {
        await revokeApiToken(token.id);
      } catch (failure) {
        // Already gone (revoked elsewhere): what the admin asked for is true.
        if (!(failure instanceof ApiError && failure.status === 404)) throw failure;
      }
      props.onClose();
      showToast(`Token ${token.name} revoked`, 'success');
      props.onRevoked();
    });
  };
  return (
    <ConfirmDialog
      open={props.token !== undefined}
      title="Revoke token?"
      confirmLabel="Revoke"
      busy={action.busy()}
      error={action.error()}
      onConfirm={confirm}
      onCancel={props.onClose}
    >
      <span class="font-medium text-slate-200">{props.token?.name}</span> stops working at once: whatever uses it is refused, and its open
      streams close.
    </ConfirmDialog>
  );
}
