// Toasts through Kobalte (announced to screen readers, dismissable, swipeable).
import { Toast, toaster } from '@kobalte/core/toast';
import { CircleCheck, CircleX } from './icons.js';
import { Portal } from 'solid-js/web';

export function showToast(message: string, kind: 'success' | 'error' = 'success') {
  toaster.show((props) => (
    <Toast
      toastId={props.toastId}
      class={`flex items-center gap-2 rounded-lg border px-4 py-3 shadow-lg ${
        kind === 'success' ? 'border-green-700 bg-green-950 text-green-100' : 'border-red-700 bg-red-950 text-red-100'
      }`}
    >
      {kind === 'success' ? <CircleCheck size={18} aria-hidden="true" /> : <CircleX size={18} aria-hidden="true" />}
      <Toast.Title>{message}</Toast.Title>
    </Toast>
  ));
}

export function Toaster() {
  return (
    <Portal>
      <Toast.Region duration={4000}>
        <Toast.List class="fixed right-4 bottom-4 z-[100] flex w-[min(24rem,calc(100vw-2rem))] flex-col gap-2" />
      </Toast.Region>
    </Portal>
  );
}
