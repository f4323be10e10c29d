// A modal form (Kobalte Dialog: focus kept inside, Esc and a click outside cancel, named by its
// title): the fields, the error the last submit met, then Cancel and the submit button.
import { Dialog } from '@kobalte/core/dialog';
import { LoaderCircle } from '../icons.js';
import { type JSX, Show } from 'solid-js';
import { FormButton, type FormButtonVariant } from './FormButton.js';

export interface FormDialogProps {
  open: boolean;
  /** Cancel, Esc or a click outside; ignored while the submit is in flight. */
  onClose: () => void;
  title: string;
  description?: JSX.Element;
  /** Shown above the buttons, announced when it appears. */
  error?: string;
  busy: boolean;
  submitLabel: string;
  submitVariant?: FormButtonVariant;
  /** No Cancel button: a dialog that only shows something (its submit closes it). */
  noCancel?: boolean;
  onSubmit: () => void;
  children?: JSX.Element;
}

export function FormDialog(props: FormDialogProps) {
  const close = () => {
    if (!props.busy) props.onClose();
  };
  return (
    <Dialog open={props.open} onOpenChange={(open) => !open && close()}>
      <Dialog.Portal>
        <Dialog.Overlay class="fixed inset-0 z-50 bg-slate-950/70 backdrop-blur-sm" />
        <div class="fixed inset-0 z-50 flex justify-center overflow-y-auto p-3 sm:p-6">
          <Dialog.Content aria-modal="true" class="my-auto h-fit w-full max-w-md rounded-xl border border-slate-700 bg-[#1e293b] p-5 text-slate-100 shadow-2xl">
            <Dialog.Title class="text-lg font-semibold">{props.title}</Dialog.Title>
            <Show when={props.description}>
              <Dialog.Description class="mt-1 text-sm break-words text-slate-400">{props.description}</Dialog.Description>
            </Show>
            <form
              class="mt-4 space-y-4"
              onSubmit={(event) => {
                event.preventDefault();
                if (!props.busy) props.onSubmit();
              }}
            >
              {props.children}
              <Show when={props.error}>
                <p role="alert" class="rounded-md border border-red-500/40 bg-red-500/10 px-3 py-2 text-sm text-red-200">
                  {props.error}
                </p>
              </Show>
              <div class="flex flex-wrap justify-end gap-2 pt-1">
                <Show when={!props.noCancel}>
                  <FormButton variant="secondary" disabled={props.busy} onClick={close}>
                    Cancel
                  </FormButton>
                </Show>
                <FormButton type="submit" variant={props.submitVariant ?? 'primary'} disabled={props.busy} aria-busy={props.busy}>
                  <Show when={props.busy}>
                    <LoaderCircle size={16} class="animate-spin" aria-hidden="true" />
                  </Show>
                  {props.submitLabel}
                </FormButton>
              </div>
            </form>
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog>
  );
}
