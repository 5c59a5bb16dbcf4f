import { Inject, Injectable } from '@nestjs/common';
import { Errors, TesseraError } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { AttrCipher } from '../crypto/attr-cipher.service';
import { Db } from '../database/db';
import { AttrCodec } from './attr-codec';
import { ATTR_TABLE, AttrOp, OwnerKind } from './attr-sql';
import { AttrRow, AttrStatements } from './attr-statements';
import type { Attr, AttrItem, AttrMeta, ExpiryItem, JsonValue, OwnerRef, UpdateItem, WriteOptions } from './attr.types';
import { checkBatch, checkEncrypt, checkExpiration } from './attr-validation';
import { directAccess, isOwnerAccess, OwnerAccess } from './owner-access';

/** A session or user by id (or an object with its id), or an access a transport built. */
export type AttrOwner = OwnerRef | OwnerAccess;

const OPS = [
  'create', 'createMany', 'set', 'setMany', 'update', 'updateMany', 'get', 'getMany', 'exists', 'existsMany',
  'names', 'list', 'delete', 'deleteMany', 'setExpiry', 'setExpiryMany',
] as const;
type OpName = (typeof OPS)[number];

/** The attribute API with its owner already chosen: `attrs.of(session).set('cart', [...])`. */
export type BoundAttrs = {
  [K in OpName]: AttrService[K] extends (owner: AttrOwner, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/**
 * Session and user attributes: one implementation, parameterised by the owner kind. Every call is
 * one statement (attr-sql.ts); single calls are batches of one. Statements are run by
 * AttrStatements, values encoded by AttrCodec; this class holds the operations themselves.
 */
export abstract class AttrService {
  private readonly statements: AttrStatements;
  private readonly codec: AttrCodec;

  protected constructor(
    readonly kind: OwnerKind,
    private readonly db: Db,
    cipher: AttrCipher,
    private readonly config: TesseraConfig,
  ) {
    this.statements = new AttrStatements(kind, db, config);
    this.codec = new AttrCodec(kind, cipher, config);
  }

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
   * otherwise; an item with `encrypt` and no value re-seals (or unseals) the stored value in place.
   * Both need the stored row first, one more round trip, so that a value sealed at rest is never
   * sent to the database in plaintext. The update applies only if that row has not changed
   * meanwhile; otherwise it is tried once more.
   */
  async updateMany(owner: AttrOwner, items: UpdateItem[], defaults: WriteOptions = {}): Promise<AttrMeta[]> {
    const access = this.access(owner);
    const sorted = this.sortedBatch(items, defaults);
    const keepForm = new Set(
      this.config.attrEncryptDefault || defaults.encrypt !== undefined
        ? []
        : sorted.filter((item) => item.value !== undefined && item.encrypt === undefined).map((item) => item.name),
    );
    const reseal = new Set(sorted.filter((item) => item.value === undefined && item.encrypt !== undefined).map((item) => item.name));
    if (keepForm.size === 0 && reseal.size === 0) return this.updateOnce(access, items, sorted, defaults, new Map());
    for (let attempt = 1; ; attempt++) {
      const stored = await this.run(access, reseal.size ? 'read' : 'probe', [[...keepForm, ...reseal]]);
      const seen = new Map(stored.map((row) => [row.name!, row]));
      try {
        return await this.updateOnce(access, items, sorted, defaults, seen, keepForm, reseal);
      } catch (error) {
        if (attempt >= 2 || !(error instanceof TesseraError) || error.code !== 'attr_not_found') throw error;
      }
    }
  }

  /**
   * One update statement. `seen` holds the stored rows read first: a keep-form item takes its row's
   * form, a re-seal item its row's value; each then applies only to that unchanged row.
   */
  private async updateOnce(
    access: OwnerAccess,
    items: UpdateItem[],
    sorted: UpdateItem[],
    defaults: WriteOptions,
    seen: Map<string, AttrRow>,
    keepForm = new Set<string>(),
    reseal = new Set<string>(),
  ): Promise<AttrMeta[]> {
    const resolved = sorted.map((item): UpdateItem => {
      const row = seen.get(item.name);
      if (keepForm.has(item.name)) return { ...item, encrypt: row?.encrypted ?? false };
      if (reseal.has(item.name) && row) return { ...item, value: this.codec.decode(row) };
      return item;
    });
    const ownerId = await this.sealingOwnerId(access, resolved, defaults);
    const cols = this.columns(ownerId, resolved, defaults, false);
    // A guarded item applies only to the row read: same form, and for a re-seal the same version.
    const expectSealed = resolved.map((item) => (keepForm.has(item.name) ? (seen.get(item.name)?.encrypted ?? false) : null));
    const expectUpdated = resolved.map((item) => (reseal.has(item.name) ? (seen.get(item.name)?.updated_at ?? null) : null));
    const rows = await this.run(access, 'update', [
      cols.names, cols.hasValue, cols.values, cols.sealed, cols.keys, cols.keep, cols.exps, expectSealed, expectUpdated,
    ]);
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
    const rows = await this.run(this.access(owner), 'read', [names]);
    const found = new Map(rows.map((row) => [row.name!, { ...toMeta(row), value: this.codec.decode(row) }]));
    return names.map((name) => found.get(name) ?? null);
  }

  async exists(owner: AttrOwner, name: string): Promise<boolean> {
    return (await this.existsMany(owner, [name]))[0];
  }

  async existsMany(owner: AttrOwner, names: string[]): Promise<boolean[]> {
    checkBatch<string>(names, this.config.attrMaxBatch, (n) => n);
    const rows = await this.run(this.access(owner), 'probe', [names]);
    const found = new Set(rows.map((row) => row.name));
    return names.map((name) => found.has(name));
  }

  /** The live names, sorted. */
  async names(owner: AttrOwner): Promise<string[]> {
    return (await this.list(owner)).map((meta) => meta.name);
  }

  /** Metadata of every live attribute, sorted by name; no values. */
  async list(owner: AttrOwner): Promise<AttrMeta[]> {
    return (await this.run(this.access(owner), 'list', [])).map(toMeta);
  }

  async delete(owner: AttrOwner, name: string): Promise<void> {
    await this.deleteMany(owner, [name]);
  }

  /** Deletes every name or none: a name with no live attribute fails the batch with `attr_not_found`. */
  async deleteMany(owner: AttrOwner, names: string[]): Promise<void> {
    checkBatch<string>(names, this.config.attrMaxBatch, (n) => n);
    await this.run(this.access(owner), 'delete', [[...names].sort(byteOrder)]);
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

  private access(owner: AttrOwner): OwnerAccess {
    if (isOwnerAccess(owner)) {
      if (owner.kind !== this.kind) throw new Error(`a ${owner.kind} access used for ${this.kind} attributes`);
      return owner;
    }
    return directAccess(this.kind, owner);
  }

  /** Runs one statement and lets the access check its head row; answers the attribute rows. */
  private async run(access: OwnerAccess, op: AttrOp, params: unknown[][]): Promise<AttrRow[]> {
    const rows = await this.statements.run(access.target, op, params);
    access.admit(rows[0]);
    return rows[0].name === null ? [] : rows;
  }

  private async write(op: 'create' | 'set', owner: AttrOwner, items: AttrItem[], defaults: WriteOptions): Promise<AttrMeta[]> {
    const access = this.access(owner);
    const sorted = this.sortedBatch(items, defaults);
    const ownerId = await this.sealingOwnerId(access, sorted, defaults);
    const cols = this.columns(ownerId, sorted, defaults, true);
    const rows = await this.run(access, op, [cols.names, cols.values, cols.sealed, cols.keys, cols.exps]);
    return this.inOrder(items, rows.map(toMeta));
  }

  /** The owner id, needed only when some value of the call is sealed (it is bound to its owner). */
  private sealingOwnerId(access: OwnerAccess, items: UpdateItem[], defaults: WriteOptions): Promise<string> | null {
    const sealing = items.some((item) => item.value !== undefined && this.codec.encrypts(item, defaults));
    return sealing ? access.sealingOwnerId() : null;
  }

  /**
   * A sorted batch as the parallel arrays its statement takes. Without `valueRequired`, an item
   * without a value keeps its stored one (`hasValue` false) and, without an expiration, its expiry.
   */
  private columns(ownerId: string | null, items: UpdateItem[], defaults: WriteOptions, valueRequired: boolean) {
    const cols = {
      names: [] as string[], hasValue: [] as boolean[], values: [] as (string | null)[], sealed: [] as (Buffer | null)[],
      keys: [] as (string | null)[], keep: [] as boolean[], exps: [] as (number | null)[],
    };
    for (const item of items) {
      const expiration = checkExpiration(item.expiration === undefined ? defaults.expiration : item.expiration, item.name);
      const hasValue = valueRequired || item.value !== undefined;
      const stored = hasValue ? this.codec.encode(ownerId, item, defaults) : { value: null, sealed: null, keyId: null };
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
}

/** UTF-8 byte order, PostgreSQL's `COLLATE "C"`: the one order every batch locks its rows in. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function toMeta(row: AttrRow): AttrMeta {
  return { name: row.name!, encrypted: row.encrypted, createdAt: row.created_at, updatedAt: row.updated_at, expiresAt: row.expires_at };
}

@Injectable()
export class SessionAttrService extends AttrService {
  constructor(db: Db, cipher: AttrCipher, @Inject(TESSERA_CONFIG) config: TesseraConfig) {
    super('session', db, cipher, config);
  }
}

@Injectable()
export class UserAttrService extends AttrService {
  constructor(db: Db, cipher: AttrCipher, @Inject(TESSERA_CONFIG) config: TesseraConfig) {
    super('user', db, cipher, config);
  }
}
