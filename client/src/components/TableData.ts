// A table's data loaded from the API: the last answer stays on screen while the next one loads,
// and an answer that arrives after a newer request was made is dropped.
import { createSignal } from 'solid-js';
import { describeError } from './FormErrors.js';

export function createTableData<T>(load: () => Promise<T>) {
  const [data, setData] = createSignal<T>();
  const [error, setError] = createSignal<string>();
  const [loading, setLoading] = createSignal(false);
  let latest = 0;

  async function reload(): Promise<void> {
    const ticket = ++latest;
    setLoading(true);
    try {
      const value = await load();
      if (ticket !== latest) return;
      setData(() => value);
      setError(undefined);
    } catch (failure) {
      if (ticket === latest) setError(describeError(failure));
    } finally {
      if (ticket === latest) setLoading(false);
    }
  }

  return { data, error, loading, reload };
}
