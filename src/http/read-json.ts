// Reads a request body as JSON and checks it against a valibot schema, with 4xx answers a caller
// can act on: 415 not JSON, 400 malformed / unknown field / wrong type.
import type { Context } from 'hono';
import * as v from 'valibot';
import { AppError, badRequest } from '../domain/app-error.js';

export async function readJson<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S>> {
  if (!isJsonMediaType(c.req.header('content-type') ?? '')) {
    throw new AppError(415, 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
  }
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('malformed_json', 'The request body is not valid JSON');
  }
  return checked(jsonObject(schema), body, 'body');
}

/**
 * `application/json` or a `+json` suffix (RFC 6839), parameters aside. Look-alikes such as
 * `application/json-seq` (RFC 7464, records split by RS) are a different format.
 */
function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[^\s/;]+\+json$/.test(mediaType);
}

/** Validates any input (a body, a query) and turns the first issue into a 400. */
export function checked<S extends v.GenericSchema>(schema: S, input: unknown, where: 'body' | 'query'): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  if (issue.type === 'strict_object' && issue.expected === 'never' && issue.path) {
    return fail('unknown_field', `Unknown field "${path}" in the ${where}`);
  }
  const label = path ? `"${path}"` : `The ${where}`;
  const missing = issue.path?.at(-1)?.origin === 'key' && issue.received === 'undefined';
  return fail('invalid_field', `${label} ${missing ? 'is required' : issue.message}`);
}

/**
 * A strict object that also refuses arrays, which valibot's object schemas otherwise accept as
 * objects with every key missing.
 */
export function jsonObject<S extends v.GenericSchema>(schema: S) {
  return v.pipe(
    v.custom<unknown>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), 'must be an object'),
    schema,
  );
}

function fail(code: string, message: string): never {
  throw badRequest(code, message);
}
