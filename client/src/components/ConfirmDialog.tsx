// "Are you sure?" before something that cannot be undone: the question as the dialog's name, what
// will happen, Cancel (focused first) and the action's own word.
import type { JSX } from 'solid-js';
import { FormDialog } from './FormDialog.js';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: JSX.Element;
  confirmLabel: string;
  busy: boolean;
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <FormDialog
      open={props.open}
      onClose={props.onCancel}
      title={props.title}
      description={props.children}
      error={props.error}
      busy={props.busy}
      submitLabel={props.confirmLabel}
      submitVariant="danger"
      onSubmit={props.onConfirm}
    />
  );
}
