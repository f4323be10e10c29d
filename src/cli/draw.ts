// How `autopurchase watch` draws a run in a terminal: the step with a progress bar, one line per
// changed transaction, the summary at the end. Pure: strings in, strings out. Every line is escaped
// whole (our own text has no control character), so no field from the server can slip through raw.
import { escapeControl } from '../domain/escape-control.js';
import type { RunEventBody, RunSnapshot, RunSummary } from '../domain/run.js';

const marks: Record<string, string> = {
  completed: '✓',
  failed: '✗',
  skipped: '»',
  unknown: '?',
  processing: '…',
  pending: '·',
};

export function progressBar(summary: RunSummary, width = 24): string {
  const done = summary.processedCount + summary.failedCount + summary.skippedCount + summary.unknownCount;
  const total = summary.totalTransactions;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`;
}

export function summaryLine(summary: RunSummary): string {
  return `total ${summary.totalTransactions} · processed ${summary.processedCount} · failed ${summary.failedCount} · skipped ${summary.skippedCount} · unknown ${summary.unknownCount}`;
}

/** The lines an event adds to the terminal, given the snapshot after it was folded. */
export function linesFor(event: RunEventBody, snapshot: RunSnapshot): string[] {
  return rawLinesFor(event, snapshot).map(escapeControl);
}

function rawLinesFor(event: RunEventBody, snapshot: RunSnapshot): string[] {
  switch (event.type) {
    case 'step':
      return [`▶ ${event.data.currentStep}  ${progressBar(snapshot.summary)}`];
    case 'transaction': {
      if (event.data.status === 'processing' || event.data.status === 'pending') return [];
      const detail = [event.data.usedAccount && `by ${event.data.usedAccount}`, event.data.error].filter(Boolean).join(' — ');
      return [`  ${marks[event.data.status] ?? ' '} ${event.data.invoiceId} ${event.data.status}${detail ? ` (${detail})` : ''}`];
    }
    case 'end':
      return [
        `■ ${event.data.status === 'completed' ? 'Completed' : 'Failed'}: ${summaryLine(snapshot.summary)}`,
        ...(event.data.error ? [`  error: ${event.data.error}`] : []),
      ];
    default:
      return [];
  }
}

export function snapshotLines(snapshot: RunSnapshot): string[] {
  const lines = [`Run ${snapshot.sessionId} (${snapshot.status})`, `▶ ${snapshot.currentStep}  ${progressBar(snapshot.summary)}`];
  if (snapshot.status !== 'running') {
    lines.push(`■ ${snapshot.status === 'completed' ? 'Completed' : 'Failed'}: ${summaryLine(snapshot.summary)}`);
    if (snapshot.error) lines.push(`  error: ${snapshot.error}`);
  }
  return lines.map(escapeControl);
}
