// What an unknown thrown value says, for a log line or an error field.
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
