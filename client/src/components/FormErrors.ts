// What the admin reads when a call fails: the server's codes turned into plain words (SPEC §8).
import { ApiError } from '../api.js';

const gatewayDown = 'The purchase gateway did not answer. Nothing was saved; try again in a moment.';

const byCode: Record<string, string> = {
  invalid_credential: 'The gateway rejected this Roblox cookie. Check it and try again.',
  gateway_unavailable: gatewayDown,
  gateway_error: gatewayDown,
  account_in_use: 'A purchase with this account is in progress; try again when it ends.',
};

/**
 * A sentence for any failure of `api()`. Codes without a fixed sentence (credential_mismatch,
 * invalid_field, not_found, a 409 on retry…) carry a message the server wrote for people.
 */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return byCode[error.code] ?? error.message;
  return 'The server could not be reached; check the connection and try again.';
}
