import { Errors } from '../common/tessera-error';
import { isWellFormedText } from '../common/text';

export const MAX_NAME_CHARS = 128;
const MAX_EXPIRATION_SECONDS = 2_147_483_647;
// C0 and C1 control characters; '/' would break the REST paths that carry the name.
const FORBIDDEN_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f/]/;

/** Checks an attribute name; messages quote names (they may be logged), never values. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string') throw Errors.validation('name must be a string');
  if (!isWellFormedText(name)) throw Errors.validation('name must be well-formed Unicode (no unpaired surrogates)');
  const chars = [...name].length;
  if (chars < 1 || chars > MAX_NAME_CHARS) throw Errors.validation(`name must be 1-${MAX_NAME_CHARS} characters`);
  if (FORBIDDEN_NAME_CHARS.test(name)) throw Errors.validation('name must not contain control characters or "/"');
  return name;
}

/** `undefined` (absent), `null` (no own expiry) or whole seconds from now. */
export function checkExpiration(expiration: unknown, name: string): number | null | undefined {
  if (expiration === undefined || expiration === null) return expiration;
  if (typeof expiration !== 'number' || !Number.isInteger(expiration) || expiration < 1 || expiration > MAX_EXPIRATION_SECONDS) {
    throw Errors.validation(`expiration of "${name}" must be a whole number of seconds from 1 to ${MAX_EXPIRATION_SECONDS}, or null`);
  }
  return expiration;
}

export function checkEncrypt(encrypt: unknown, name: string): boolean | undefined {
  if (encrypt === undefined || typeof encrypt === 'boolean') return encrypt;
  throw Errors.validation(`encrypt of "${name}" must be true or false`);
}

/**
 * JSON has no NaN or Infinity: JSON.stringify would write them as `null`, changing the value without
 * a word (a body's `1e999` parses to Infinity).
 */
function finiteNumbersOnly(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError('not a finite number');
  return value;
}

/** The value's JSON text, within the size limit; the message says how large, never what. */
export function serializeValue(value: unknown, name: string, maxBytes: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, finiteNumbersOnly);
  } catch {
    json = undefined;
  }
  if (json === undefined || value === undefined) throw Errors.validation(`value of "${name}" must be a JSON value (numbers finite)`);
  if (Buffer.byteLength(json, 'utf8') > maxBytes) {
    throw Errors.payloadTooLarge(`value of "${name}" is larger than ${maxBytes} bytes`);
  }
  return json;
}

/** A batch: at most `maxItems`, every name valid and used once. */
export function checkBatch<T>(items: unknown, maxItems: number, nameOf: (item: T) => unknown): T[] {
  if (!Array.isArray(items)) throw Errors.validation('data must be an array');
  if (items.length > maxItems) throw Errors.validation(`a batch holds at most ${maxItems} items`);
  const seen = new Set<string>();
  for (const item of items as T[]) {
    const name = checkName(nameOf(item));
    if (seen.has(name)) throw Errors.validation(`name "${name}" appears more than once in the batch`);
    seen.add(name);
  }
  return items as T[];
}
