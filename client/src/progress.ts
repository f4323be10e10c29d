// Which run the progress modal shows: any page opens it; App renders it.
import { createSignal } from 'solid-js';

export interface OpenRun {
  sessionId: string;
  /** Called when the modal closes (the accounts page refreshes its table). */
  onClose?: () => void;
}

const [openRun, setOpenRun] = createSignal<OpenRun | undefined>(undefined);
export { openRun };

export function showRun(sessionId: string, onClose?: () => void) {
  setOpenRun({ sessionId, onClose });
}

export function closeRun() {
  const current = openRun();
  setOpenRun(undefined);
  current?.onClose?.();
}
