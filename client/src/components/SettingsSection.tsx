// One section of the Settings page: its heading (an icon, the title, a sentence), the section's own
// button on the right, then its content.
import type { JSX } from 'solid-js';

export interface SettingsSectionProps {
  id: string;
  title: string;
  icon: JSX.Element;
  description: string;
  action: JSX.Element;
  children: JSX.Element;
}

export function SettingsSection(props: SettingsSectionProps) {
  return (
    <section class="min-w-0 space-y-3" aria-labelledby={props.id}>
      <div class="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 id={props.id} class="flex items-center gap-2 text-lg font-semibold text-slate-100">
            {props.icon} {props.title}
          </h2>
          <p class="text-sm text-slate-400">{props.description}</p>
        </div>
        {props.action}
      </div>
      {props.children}
    </section>
  );
}
