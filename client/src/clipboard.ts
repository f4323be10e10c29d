// Copying to the clipboard. Plain http on a LAN is not a secure context: the browser then has no
// clipboard API, and whoever calls this shows the text to copy by hand instead.

/** Whether the text went to the clipboard: false when there is none, or it refused. */
export async function copyToClipboard(text: string): Promise<boolean> {
  const clipboard = typeof navigator === 'undefined' ? undefined : (navigator.clipboard as Clipboard | undefined);
  if (!clipboard?.writeText) return false;
  try {
    await clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
