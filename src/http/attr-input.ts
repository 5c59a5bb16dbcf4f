import { Errors } from '../common/tessera-error';
import type { AttrItem, ExpiryItem, JsonValue, UpdateItem, WriteOptions } from '../attributes/attr.types';
import { checkEncrypt, checkExpiration } from '../attributes/attr-validation';

/**
 * Shapes of REST bodies, checked by hand rather than by class-validator so that no message can
 * echo a value and `value` may be any JSON (including `null`, `0`, `""` and `false`).
 */
type Body = Record<string, unknown>;

function object(body: unknown, what = 'request body'): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw Errors.validation(`${what} must be a JSON object`);
  return body as Body;
}

// An unknown key is named only when it is plainly a field name: a key can hold anything a client
// sent (a form-encoded body arrives as one key holding the whole body), and messages quote no body.
const SAFE_FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function onlyKeys(body: Body, allowed: string[], what: string) {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw Errors.validation(SAFE_FIELD.test(key) ? `${what}: property "${key}" should not exist` : `${what}: holds an unknown field`);
    }
  }
}

function options(body: Body, name: string): WriteOptions {
  const out: WriteOptions = {};
  if ('expiration' in body) out.expiration = checkExpiration(body.expiration, name);
  if ('encrypt' in body) out.encrypt = checkEncrypt(body.encrypt, name);
  return out;
}

function requireValue(body: Body, name: string): JsonValue {
  if (!('value' in body)) throw Errors.validation(`value of "${name}" is required`);
  return body.value as JsonValue;
}

/** `POST {base}`: `{name, value, expiration?, encrypt?}`. */
export function parseCreate(raw: unknown): AttrItem {
  const body = object(raw);
  onlyKeys(body, ['name', 'value', 'expiration', 'encrypt'], 'body');
  if (typeof body.name !== 'string') throw Errors.validation('name must be a string');
  return { name: body.name, value: requireValue(body, body.name), ...options(body, body.name) };
}

/** `PUT {base}/{name}`: `{value, expiration?, encrypt?}`. */
export function parseSet(raw: unknown, name: string): AttrItem {
  const body = object(raw);
  onlyKeys(body, ['value', 'expiration', 'encrypt'], 'body');
  return { name, value: requireValue(body, name), ...options(body, name) };
}

/** `PATCH {base}/{name}`: any of `{value, expiration, encrypt}`, at least one. */
export function parseUpdate(raw: unknown, name: string): UpdateItem {
  const body = object(raw);
  onlyKeys(body, ['value', 'expiration', 'encrypt'], 'body');
  if (Object.keys(body).length === 0) throw Errors.validation('give value, expiration, encrypt or several of them');
  const item: UpdateItem = { name, ...options(body, name) };
  if ('value' in body) item.value = body.value as JsonValue;
  return item;
}

export const BATCH_OPS = ['create', 'set', 'update', 'get', 'exists', 'delete', 'set-expiry'] as const;
export type BatchOp = (typeof BATCH_OPS)[number];

export interface Batch<T> {
  data: T[];
  defaults: WriteOptions;
}

function batch(raw: unknown, withDefaults: boolean): { data: unknown[]; defaults: WriteOptions } {
  const body = object(raw);
  onlyKeys(body, withDefaults ? ['data', 'expiration', 'encrypt'] : ['data'], 'body');
  if (!Array.isArray(body.data)) throw Errors.validation('data must be an array');
  return { data: body.data, defaults: withDefaults ? options(body, 'the batch') : {} };
}

function itemName(item: Body, index: number): string {
  if (typeof item.name !== 'string') throw Errors.validation(`data[${index}].name must be a string`);
  return item.name;
}

/** `create`/`set` items: `{name, value, expiration?, encrypt?}`; `update`: value optional. */
export function parseWriteBatch(raw: unknown, valueRequired: boolean): Batch<AttrItem | UpdateItem> {
  const { data, defaults } = batch(raw, true);
  return {
    defaults,
    data: data.map((entry, index) => {
      const item = object(entry, `data[${index}]`);
      onlyKeys(item, ['name', 'value', 'expiration', 'encrypt'], `data[${index}]`);
      const name = itemName(item, index);
      const parsed: UpdateItem = { name, ...options(item, name) };
      if (valueRequired) parsed.value = requireValue(item, name);
      else if ('value' in item) parsed.value = item.value as JsonValue;
      return parsed;
    }),
  };
}

/** `set-expiry` items: `{name, expiration}` (`null` removes the expiry). */
export function parseExpiryBatch(raw: unknown): ExpiryItem[] {
  return batch(raw, false).data.map((entry, index) => {
    const item = object(entry, `data[${index}]`);
    onlyKeys(item, ['name', 'expiration'], `data[${index}]`);
    const name = itemName(item, index);
    if (!('expiration' in item)) throw Errors.validation(`data[${index}].expiration is required (null removes it)`);
    return { name, expiration: checkExpiration(item.expiration, name) ?? null };
  });
}

/** `get`/`exists`/`delete` items: names, as strings or `{name}`. */
export function parseNameBatch(raw: unknown): string[] {
  return batch(raw, false).data.map((entry, index) => {
    if (typeof entry === 'string') return entry;
    const item = object(entry, `data[${index}]`);
    onlyKeys(item, ['name'], `data[${index}]`);
    return itemName(item, index);
  });
}
