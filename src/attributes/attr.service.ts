import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseError } from 'pg';
import { AppError, Errors } from '../common/app-error';
import { isUuid } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AttrCipher } from '../crypto/attr-cipher.service';
import { hashToken, isWellFormedToken } from '../crypto/token';
import { Db } from '../database/db.service';
import { SessionsService } from '../sessions/sessions.service';
import { ATTR_TABLE, AttrOp, buildAttrStatement, OwnerKind } from './attr-sql';
import type {
  Attr,
  AttrItem,
  AttrMeta,
  AttrOwner,
  CallerAccess,
  ExpiryItem,
  JsonValue,
  OwnerRef,
  UpdateItem,
  WriteOptions,
} from './attr.types';
import { checkBatch, checkEncrypt, checkExpiration, parseJsonValue, serializeValue } from './attr-validation';

interface AttrRow {
  authed: boolean;
  caller_session_id: string | null;
  caller_is_super: boolean | null;
  touch_due: boolean | null;
  caller_expires_at: Date | null;
  owner_id: string | null;
  allowed: boolean | null;
  name: string | null;
  value: string | null;
  sealed: Buffer | null;
  key_id: string | null;
  encrypted: boolean;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
}

interface Stored {
  value: string | null;
  sealed: Buffer | null;
  keyId: string | null;
}

const OPS = [
  'create', 'createMany', 'set', 'setMany', 'update', 'updateMany', 'get', 'getMany', 'exists', 'existsMany',
  'names', 'list', 'delete', 'deleteMany', 'setExpiry', 'setExpiryMany',
] as const;
type OpName = (typeof OPS)[number];

/** The attribute API with its owner already chosen: `attrs.of(session).set('cart', [...])`. */
export type BoundAttrs = {
  [K in OpName]: AttrService[K] extends (owner: AttrOwner, ...args: infer A) => infer R ? (...args: A) => R : never;
};

const ALIAS_CACHE_LIMIT = 10_000;
/** deadlock_detected, serialization_failure */
const RETRYABLE = new Set(['40P01', '40001']);

function isCaller(owner: AttrOwner): owner is CallerAccess {
  return typeof owner === 'object' && owner !== null && 'ust' in owner;
}

/**
 * Session and user attributes: one implementation, parameterised by the owner kind. Every call is
 * one statement (see attr-sql.ts): single calls are batches of one. Owners are either trusted
 * in-process references (a session or user id) or a REST caller's UST plus the owner it names.
 */
export abstract class AttrService {
  private readonly statements = new Map<string, { name: string; text: string }>();
  /** UST hash -> owner id for `current`/`me`, needed before a write only to bind a ciphertext to its owner. */
  private readonly aliasOwners = new Map<string, string>();

  protected constructor(
    readonly kind: OwnerKind,
    private readonly db: Db,
    private readonly cipher: AttrCipher,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  of(owner: AttrOwner): BoundAttrs {
    return Object.fromEntries(
      OPS.map((op) => [op, (...args: unknown[]) => (this[op] as (...a: unknown[]) => unknown)(owner, ...args)]),
    ) as BoundAttrs;
  }

  async create(owner: AttrOwner, name: string, value: JsonValue, options: WriteOptions = {}): Promise<AttrMeta> {
    return (await this.createMany(owner, [{ ...options, name, value }]))[0];
  }

  /** Creates every item or none: a live attribute of any name fails the whole batch with `attr_exists`. */
  createMany(owner: AttrOwner, items: AttrItem[], defaults: WriteOptions = {}): Promise<AttrMeta[]> {
    return this.write('create', owner, items, defaults);
  }

  async set(owner: AttrOwner, name: string, value: JsonValue, options: WriteOptions = {}): Promise<AttrMeta> {
    return (await this.setMany(owner, [{ ...options, name, value }]))[0];
  }

  setMany(owner: AttrOwner, items: AttrItem[], defaults: WriteOptions = {}): Promise<AttrMeta[]> {
    return this.write('set', owner, items, defaults);
  }

  async update(owner: AttrOwner, name: string, value: JsonValue, options: WriteOptions = {}): Promise<AttrMeta> {
    return (await this.updateMany(owner, [{ ...options, name, value }]))[0];
  }

  /**
   * Updates every item or none: a name with no live attribute fails the batch with `attr_not_found`.
   * A new value keeps the stored form (sealed or plain) unless `encrypt` (or the batch's) says
   * otherwise; finding that form out costs one more round trip, so that a value sealed at rest is
   * never sent to the database in plaintext. If a concurrent write changes the form meanwhile, the
   * update does not apply and is tried once more.
   */
  async updateMany(owner: AttrOwner, items: UpdateItem[], defaults: WriteOptions = {}): Promise<AttrMeta[]> {
    const sorted = this.sortedBatch(items, defaults);
    const keepForm = sorted.filter(
      (item) => item.value !== undefined && item.encrypt === undefined && defaults.encrypt === undefined,
    );
    if (keepForm.length === 0 || this.config.attrEncryptDefault) return this.updateOnce(owner, items, sorted, defaults, new Map());
    for (let attempt = 1; ; attempt++) {
      const probed = await this.run(owner, 'probe', [keepForm.map((item) => item.name)]);
      const sealedNow = new Map<string, boolean>(keepForm.map((item) => [item.name, false]));
      for (const row of probed) sealedNow.set(row.name!, row.encrypted);
      try {
        return await this.updateOnce(owner, items, sorted, defaults, sealedNow);
      } catch (error) {
        if (attempt >= 2 || !(error instanceof AppError) || error.code !== 'attr_not_found') throw error;
      }
    }
  }

  private async updateOnce(owner: AttrOwner, items: UpdateItem[], sorted: UpdateItem[], defaults: WriteOptions, sealedNow: Map<string, boolean>): Promise<AttrMeta[]> {
    const resolved = sorted.map((item) => (sealedNow.has(item.name) ? { ...item, encrypt: sealedNow.get(item.name) } : item));
    const ownerId = await this.ownerIdForSealing(owner, resolved, defaults);
    const cols = this.columns(ownerId, resolved, defaults, false);
    const expect = resolved.map((item) => sealedNow.get(item.name) ?? null);
    const rows = await this.run(owner, 'update', [cols.names, cols.hasValue, cols.values, cols.sealed, cols.keys, cols.keep, cols.exps, expect]);
    return this.inOrder(items, rows.map(toMeta));
  }

  async setExpiry(owner: AttrOwner, name: string, expiration: number | null): Promise<AttrMeta> {
    return (await this.setExpiryMany(owner, [{ name, expiration }]))[0];
  }

  async setExpiryMany(owner: AttrOwner, items: ExpiryItem[]): Promise<AttrMeta[]> {
    if (!Array.isArray(items)) throw Errors.validation('data must be an array');
    for (const item of items) {
      if (item?.expiration === undefined) throw Errors.validation(`expiration of "${String(item?.name)}" is required (null removes it)`);
    }
    return this.updateMany(owner, items.map(({ name, expiration }) => ({ name, expiration })));
  }

  async get(owner: AttrOwner, name: string): Promise<Attr | null> {
    return (await this.getMany(owner, [name]))[0];
  }

  /** One entry per asked name, in the order asked: the attribute, or `null` when there is none. */
  async getMany(owner: AttrOwner, names: string[]): Promise<Array<Attr | null>> {
    checkBatch<string>(names, this.config.attrMaxBatch, (n) => n);
    const rows = await this.run(owner, 'read', [names]);
    const found = new Map(rows.map((row) => [row.name!, this.toAttr(row)]));
    return names.map((name) => found.get(name) ?? null);
  }

  async exists(owner: AttrOwner, name: string): Promise<boolean> {
    return (await this.existsMany(owner, [name]))[0];
  }

  async existsMany(owner: AttrOwner, names: string[]): Promise<boolean[]> {
    checkBatch<string>(names, this.config.attrMaxBatch, (n) => n);
    const rows = await this.run(owner, 'probe', [names]);
    const found = new Set(rows.map((row) => row.name));
    return names.map((name) => found.has(name));
  }

  /** The live names, sorted. */
  async names(owner: AttrOwner): Promise<string[]> {
    return (await this.list(owner)).map((meta) => meta.name);
  }

  /** Metadata of every live attribute, sorted by name; no values. */
  async list(owner: AttrOwner): Promise<AttrMeta[]> {
    return (await this.run(owner, 'list', [])).map(toMeta);
  }

  async delete(owner: AttrOwner, name: string): Promise<void> {
    await this.deleteMany(owner, [name]);
  }

  /** Deletes every name or none: a name with no live attribute fails the batch with `attr_not_found`. */
  async deleteMany(owner: AttrOwner, names: string[]): Promise<void> {
    checkBatch<string>(names, this.config.attrMaxBatch, (n) => n);
    await this.run(owner, 'delete', [[...names].sort(byteOrder)]);
  }

  /** Deletes up to `limit` expired attributes (index on expires_at); returns how many. */
  sweepExpired(limit: number): Promise<number> {
    const table = ATTR_TABLE[this.kind];
    return this.db.execute(
      `attr_sweep_${this.kind}`,
      `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM ${table} WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED))`,
      [limit],
    );
  }

  private async write(op: 'create' | 'set', owner: AttrOwner, items: AttrItem[], defaults: WriteOptions): Promise<AttrMeta[]> {
    const sorted = this.sortedBatch(items, defaults);
    const ownerId = await this.ownerIdForSealing(owner, sorted, defaults);
    const cols = this.columns(ownerId, sorted, defaults, true);
    const rows = await this.run(owner, op, [cols.names, cols.values, cols.sealed, cols.keys, cols.exps]);
    return this.inOrder(items, rows.map(toMeta));
  }

  /**
   * A sorted batch as the parallel arrays its statement takes. Without `valueRequired`, an item
   * without a value keeps its stored one (`hasValue` false) and, without an expiration, its expiry.
   */
  private columns(ownerId: string | null, items: UpdateItem[], defaults: WriteOptions, valueRequired: boolean) {
    const cols = { names: [] as string[], hasValue: [] as boolean[], values: [] as (string | null)[], sealed: [] as (Buffer | null)[], keys: [] as (string | null)[], keep: [] as boolean[], exps: [] as (number | null)[] };
    for (const item of items) {
      const expiration = checkExpiration(item.expiration === undefined ? defaults.expiration : item.expiration, item.name);
      const hasValue = valueRequired || item.value !== undefined;
      if (!hasValue && item.encrypt !== undefined) throw Errors.validation(`encrypt of "${item.name}" needs a value`);
      const stored = hasValue ? this.encode(ownerId, item, defaults) : { value: null, sealed: null, keyId: null };
      cols.names.push(item.name);
      cols.hasValue.push(hasValue);
      cols.values.push(stored.value);
      cols.sealed.push(stored.sealed);
      cols.keys.push(stored.keyId);
      cols.keep.push(expiration === undefined);
      cols.exps.push(expiration ?? null);
    }
    return cols;
  }

  /** Validates a batch and orders it by name, so concurrent batches lock rows in the same order. */
  private sortedBatch<T extends { name: string; encrypt?: boolean }>(items: T[], defaults: WriteOptions): T[] {
    checkBatch<T>(items, this.config.attrMaxBatch, (item) => item?.name);
    checkEncrypt(defaults.encrypt, 'the batch');
    for (const item of items) checkEncrypt(item.encrypt, item.name);
    return [...items].sort((a, b) => byteOrder(a.name, b.name));
  }

  private inOrder(items: Array<{ name: string }>, metas: AttrMeta[]): AttrMeta[] {
    const byName = new Map(metas.map((meta) => [meta.name, meta]));
    return items.map((item) => byName.get(item.name)!);
  }

  private encrypts(item: WriteOptions, defaults: WriteOptions): boolean {
    return item.encrypt ?? defaults.encrypt ?? this.config.attrEncryptDefault;
  }

  /** The JSON text to store, sealed when asked: the plaintext of a sealed value never leaves the process. */
  private encode(ownerId: string | null, item: { name: string; value?: unknown; encrypt?: boolean }, defaults: WriteOptions): Stored {
    const json = serializeValue(item.value, item.name, this.config.attrMaxValueBytes);
    if (!this.encrypts(item, defaults)) return { value: json, sealed: null, keyId: null };
    const { sealed, keyId } = this.cipher.seal(this.kind, ownerId!, item.name, json);
    return { value: null, sealed, keyId };
  }

  private toAttr(row: AttrRow): Attr {
    const json = row.sealed ? this.cipher.open(this.kind, row.owner_id!, row.name!, row.sealed, row.key_id!) : row.value!;
    return { ...toMeta(row), value: parseJsonValue(json) };
  }

  /**
   * Sealing binds a value to its owner's id, which a REST call naming `current`/`me` does not carry.
   * The UST-to-owner mapping never changes, so it is looked up once and kept; the write statement
   * still checks the session is live and the caller allowed.
   */
  private async ownerIdForSealing(owner: AttrOwner, items: Array<WriteOptions & { value?: unknown }>, defaults: WriteOptions = {}): Promise<string | null> {
    const sealing = items.some((item) => item.value !== undefined && this.encrypts(item, defaults));
    if (!isCaller(owner)) return this.directOwnerId(owner);
    if (owner.ownerId || !sealing) return owner.ownerId;
    if (!isWellFormedToken(owner.ust)) throw Errors.sessionInvalid();
    const key = hashToken(owner.ust);
    const cacheKey = key.toString('base64');
    const cached = this.aliasOwners.get(cacheKey);
    if (cached) return cached;
    const column = this.kind === 'session' ? 'id' : 'user_id';
    const rows = await this.db.query<{ owner: string }>(`attr_alias_${this.kind}`, `SELECT ${column} AS owner FROM sso_session WHERE token_hash = $1`, [key]);
    if (rows.length === 0) throw Errors.sessionInvalid();
    if (this.aliasOwners.size >= ALIAS_CACHE_LIMIT) this.aliasOwners.delete(this.aliasOwners.keys().next().value!);
    this.aliasOwners.set(cacheKey, rows[0].owner);
    return rows[0].owner;
  }

  private directOwnerId(owner: OwnerRef): string {
    const id = typeof owner === 'string' ? owner : owner?.id;
    if (typeof id !== 'string' || !isUuid(id)) throw this.ownerNotFound();
    return id.toLowerCase();
  }

  private statement(mode: 'caller' | 'direct', op: AttrOp, single: boolean) {
    const key = `${mode}:${op}:${single}`;
    let statement = this.statements.get(key);
    if (!statement) this.statements.set(key, (statement = buildAttrStatement(this.kind, mode, op, single)));
    return statement;
  }

  private async run(owner: AttrOwner, op: AttrOp, params: unknown[]): Promise<AttrRow[]> {
    let prefix: unknown[];
    let mode: 'caller' | 'direct';
    if (isCaller(owner)) {
      if (!isWellFormedToken(owner.ust)) throw Errors.sessionInvalid();
      mode = 'caller';
      prefix = [hashToken(owner.ust), this.config.sessionIdleTimeoutSeconds, this.config.sessionTouchIntervalSeconds, owner.ownerId];
    } else {
      mode = 'direct';
      prefix = [this.directOwnerId(owner)];
    }
    // Operation parameters are parallel arrays; one item travels as scalars, in its own statement.
    const single = params.length > 0 && (params[0] as unknown[]).length === 1;
    const { name, text } = this.statement(mode, op, single);
    const values = [...prefix, ...(single ? params.map((p) => (p as unknown[])[0]) : params)];
    let rows: AttrRow[];
    for (let attempt = 1; ; attempt++) {
      try {
        rows = await this.db.query<AttrRow>(name, text, values);
        break;
      } catch (error) {
        // Batches touching overlapping rows in another order can deadlock; PostgreSQL aborts one of
        // them whole, so running it again is safe.
        if (attempt < 3 && RETRYABLE.has((error as DatabaseError)?.code ?? '')) continue;
        throw batchFailure(error) ?? error;
      }
    }
    const head = rows[0];
    if (!head.authed) throw Errors.sessionInvalid();
    if (isCaller(owner)) owner.callerSessionId = head.caller_session_id ?? undefined;
    if (head.touch_due && head.caller_session_id) this.sessions.touch(head.caller_session_id, head.caller_expires_at!);
    // To a caller who is not a super-user, another user id is forbidden whether or not it exists.
    if (!head.owner_id) throw this.kind === 'user' && !head.caller_is_super ? Errors.forbidden('super-user rights required') : this.ownerNotFound();
    // Another user's session answers as missing, so session ids cannot be probed.
    if (!head.allowed) throw this.kind === 'session' ? this.ownerNotFound() : Errors.forbidden('super-user rights required');
    return head.name === null ? [] : rows;
  }

  private ownerNotFound(): AppError {
    return this.kind === 'session'
      ? Errors.notFound('session_not_found', 'no such live session')
      : Errors.notFound('user_not_found', 'no such user');
  }
}

/** UTF-8 byte order, PostgreSQL's `COLLATE "C"`: the one order every batch locks its rows in. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function toMeta(row: AttrRow): AttrMeta {
  return { name: row.name!, encrypted: row.encrypted, createdAt: row.created_at, updatedAt: row.updated_at, expiresAt: row.expires_at };
}

/** `tessera_fail` aborts a batch with a stable code as its message and the names as its detail. */
function batchFailure(error: unknown): AppError | undefined {
  const e = error as DatabaseError;
  if (e?.code !== 'P0001') return undefined;
  if (e.message === 'attr_exists') return Errors.conflict('attr_exists', `attribute already exists: ${e.detail}`);
  if (e.message === 'attr_not_found') return Errors.notFound('attr_not_found', `no such attribute: ${e.detail}`);
  return undefined;
}

@Injectable()
export class SessionAttrService extends AttrService {
  constructor(db: Db, cipher: AttrCipher, sessions: SessionsService, @Inject(APP_CONFIG) config: AppConfig) {
    super('session', db, cipher, sessions, config);
  }
}

@Injectable()
export class UserAttrService extends AttrService {
  constructor(db: Db, cipher: AttrCipher, sessions: SessionsService, @Inject(APP_CONFIG) config: AppConfig) {
    super('user', db, cipher, sessions, config);
  }
}
