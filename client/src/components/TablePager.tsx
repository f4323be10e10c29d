// Cursor paging (the API's opaque `nextCursor`): a stack of the cursors that led to this page,
// so "Previous page" goes back without the server knowing pages at all.
import { ChevronLeft, ChevronRight } from '../icons.js';
import { createSignal } from 'solid-js';
import { FormButton } from './FormButton.js';

export function createCursorPages() {
  const [stack, setStack] = createSignal<readonly (string | undefined)[]>([undefined]);
  return {
    /** The cursor of the page shown; undefined for the first. */
    cursor: () => stack()[stack().length - 1],
    page: () => stack().length,
    next: (cursor: string) => setStack((s) => [...s, cursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

export interface TablePagerProps {
  page: number;
  /** The answer's `nextCursor`: absent on the last page. */
  nextCursor?: string;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
  disabled?: boolean;
}

export function TablePager(props: TablePagerProps) {
  return (
    <nav aria-label="Pages" class="flex items-center justify-end gap-3 text-sm text-slate-400">
      <span>Page {props.page}</span>
      <FormButton variant="secondary" small disabled={props.disabled || props.page <= 1} onClick={() => props.onPrevious()}>
        <ChevronLeft size={14} aria-hidden="true" />
        Previous page
      </FormButton>
      <FormButton
        variant="secondary"
        small
        disabled={props.disabled || !props.nextCursor}
        onClick={() => props.nextCursor && props.onNext(props.nextCursor)}
      >
        Next page
        <ChevronRight size={14} aria-hidden="true" />
      </FormButton>
    </nav>
  );
}
