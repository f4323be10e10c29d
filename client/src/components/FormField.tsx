// Labelled form controls: the <label> gives each control its accessible name, and a hint is
// tied to it with aria-describedby.
import { createUniqueId, For, type JSX, Show } from 'solid-js';

const controlClass =
  'w-full rounded-md border border-slate-600 bg-slate-900 px-3 py-2 text-sm text-slate-100 outline-none placeholder:text-slate-500 focus:border-blue-500 disabled:opacity-60 [color-scheme:dark]';

function Field(props: { id: string; label: string; hint?: string; children: JSX.Element }) {
  return (
    <div class="space-y-1">
      <label for={props.id} class="block text-sm font-medium text-slate-200">
        {props.label}
      </label>
      {props.children}
      <Show when={props.hint}>
        <p id={`${props.id}-hint`} class="text-xs text-slate-400">
          {props.hint}
        </p>
      </Show>
    </div>
  );
}

export interface FormSecretFieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  hint?: string;
  required?: boolean;
  disabled?: boolean;
  placeholder?: string;
}

/** A password input whose value is never offered to autofill or saved by the browser. */
export function FormSecretField(props: FormSecretFieldProps) {
  const id = createUniqueId();
  return (
    <Field id={id} label={props.label} hint={props.hint}>
      <input
        id={id}
        type="password"
        autocomplete="off"
        spellcheck={false}
        class={controlClass}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
        required={props.required}
        disabled={props.disabled}
        placeholder={props.placeholder}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
    </Field>
  );
}

export interface FormTextFieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'date';
  hint?: string;
  required?: boolean;
  disabled?: boolean;
  maxLength?: number;
  /** `YYYY-MM-DD`, for a date. */
  min?: string;
}

/** A plain text (or date) input. */
export function FormTextField(props: FormTextFieldProps) {
  const id = createUniqueId();
  return (
    <Field id={id} label={props.label} hint={props.hint}>
      <input
        id={id}
        type={props.type ?? 'text'}
        autocomplete="off"
        class={controlClass}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
        required={props.required}
        disabled={props.disabled}
        maxLength={props.maxLength}
        min={props.min}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
    </Field>
  );
}

export interface FormSelectProps<T extends string> {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  hint?: string;
  disabled?: boolean;
}

/** A native <select>: its options keep their real `value` attributes. */
export function FormSelect<T extends string>(props: FormSelectProps<T>) {
  const id = createUniqueId();
  return (
    <Field id={id} label={props.label} hint={props.hint}>
      <select
        id={id}
        class={controlClass}
        value={props.value}
        onChange={(event) => props.onChange(event.currentTarget.value as T)}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      >
        <For each={props.options}>
          {(option) => (
            <option value={option.value} selected={option.value === props.value}>
              {option.label}
            </option>
          )}
        </For>
      </select>
    </Field>
  );
}

export interface FormTextAreaProps extends Omit<FormSecretFieldProps, 'placeholder'> {
  maxLength?: number;
  rows?: number;
}

/** A multi-line text field (a note, a reason). */
export function FormTextArea(props: FormTextAreaProps) {
  const id = createUniqueId();
  return (
    <Field id={id} label={props.label} hint={props.hint}>
      <textarea
        id={id}
        class={`${controlClass} resize-y`}
        rows={props.rows ?? 3}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
        required={props.required}
        disabled={props.disabled}
        maxLength={props.maxLength}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
    </Field>
  );
}
