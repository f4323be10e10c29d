// The one button style of the pages and their forms: primary, secondary, danger, and the
// outlined ones for table rows.
import { splitProps, type JSX } from 'solid-js';

const variants = {
  primary: 'bg-blue-600 text-white hover:bg-blue-500',
  secondary: 'border border-slate-600 bg-[#334155] text-slate-100 hover:bg-slate-600',
  danger: 'bg-red-600 text-white hover:bg-red-500',
  ghost: 'border border-slate-600 text-slate-200 hover:bg-slate-700',
  ghostDanger: 'border border-red-500/50 text-red-300 hover:bg-red-500/15',
  ghostWarning: 'border border-orange-500/50 text-orange-200 hover:bg-orange-500/15',
} as const;

export type FormButtonVariant = keyof typeof variants;

export interface FormButtonProps extends JSX.ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: FormButtonVariant;
  /** Small buttons for table rows. */
  small?: boolean;
}

export function FormButton(props: FormButtonProps) {
  const [own, rest] = splitProps(props, ['variant', 'small', 'class', 'type']);
  return (
    <button
      type={own.type ?? 'button'}
      class={`inline-flex items-center justify-center gap-1.5 rounded-md font-medium whitespace-nowrap transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-400 disabled:cursor-not-allowed disabled:opacity-60 ${
        own.small ? 'px-2.5 py-1 text-xs' : 'px-3.5 py-2 text-sm'
      } ${variants[own.variant ?? 'primary']} ${own.class ?? ''}`}
      {...rest}
    />
  );
}
