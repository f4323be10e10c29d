// A form's submit in flight: busy while the call runs, and the failure as a sentence for the form.
import { createSignal } from 'solid-js';
import { describeError } from './FormErrors.js';

export function createFormAction() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();

  async function run(action: () => Promise<void>): Promise<void> {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return { busy, error, setError, run, reset: () => setError(undefined) };
}
