import { Inject, Injectable } from '@nestjs/common';
import { Errors, TesseraError } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { AttrCipher } from '../crypto/attr-cipher.service';
import { Db } from '../database/db';
import { AttrCodec } from './attr-codec';
import { ATTR_TABLE, AttrOp, OwnerKind } from './attr-sql';
import { AttrRow, AttrStatements, StatementTarget } from './attr-statements';
import { AttrCallGroups, QueuedCall } from './attr-call-groups';
import type { Attr, AttrItem, AttrMeta, ExpiryItem, JsonValue, OwnerRef, UpdateItem, WriteOptions } from './attr.types';
import { checkBatch, checkEncrypt, checkExpiration, checkName } from './attr-validation';
import { directAccess, isOwnerAccess, OwnerAccess } from './owner-access';

/** A session or user by id (or an object with its id), or an access a transport built. */
export type AttrOwner = OwnerRef | OwnerAccess;

const OPS = [
  'create', 'createMany', 'set', 'setMany', 'update', 'updateMany', 'get', 'getMany', 'exists', 'existsMany',
  'names', 'list', 'delete', 'deleteMany', 'setExpiry', 'setExpiryMany',
] as const;
type OpName = (typeof OPS)[number];

/** Single writes that concurrent callers of one owner may share a statement for (attr-call-groups.ts). */
type MergeKind = 'set' | 'delete' | 'expiry';

/** One item as its statement takes it: the value encoded (and sealed) already. */
interface EncodedItem {
  name: string;
  hasValue: boolean;
  value: string | null;
  sealed: Buffer | null;
  keyId: string | null;
  /** Leave the expiry as it is (an update without `expiration`). */
  keep: boolean;
  expiration: number | null;
}

interface MergeInput {
  access: OwnerAccess;
  item: EncodedItem;
}

interface GetInput {
  access: OwnerAccess;
  name: string;
}

/**
 * Statements of REST callers' gets in flight at once before further gets wait to share the next
 * one: enough that a lone get never waits, few enough that under load gets travel together.
 */
const CALLER_READS_IN_FLIGHT = 2;

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
  private readonly groups: AttrCallGroups<MergeKind, MergeInput>;
  private readonly readGroups: AttrCallGroups<'get', GetInput>;
  private readonly callerReads: AttrCallGroups<'get', GetInput>;

  protected constructor(
    readonly kind: OwnerKind,
    private readonly db: Db,
    cipher: AttrCipher,
    private readonly config: TesseraConfig,
  ) {
    this.statements = new AttrStatements(kind, db, config);
    this.codec = new AttrCodec(kind, cipher, config);
    this.groups = new AttrCallGroups(config.attrMaxBatch, (writes) => this.runMerged(writes));
    this.readGroups = new AttrCallGroups(config.attrMaxBatch, (reads) => this.runMergedReads(reads));
    // REST callers' gets share statements across owners: each get is still resolved and checked on
    // its own in the statement, and a statement costs far more than a row (docs/performance.md).
    this.callerReads = new AttrCallGroups(config.attrMaxBatch, (reads) => this.runCallerReads(reads), CALLER_READS_IN_FLIGHT, () => 'callers');
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

  /** Concurrent sets of one owner may share a statement: last write per name wins, as in a serial order. */
  async set(owner: AttrOwner, name: string, value: JsonValue, options: WriteOptions = {}): Promise<AttrMeta> {
    const access = this.access(owner);
    const item = this.sortedBatch([{ ...options, name, value }], {});
    const ownerId = await this.sealingOwnerId(access, item, {});
    return this.groups.submit(access.target, 'set', { access, item: this.encode(ownerId, item[0], {}, true) });
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
    if (items?.length === 1 && isExpiryOnly(items[0], defaults)) {
      return [await this.setExpiry(owner, items[0].name, items[0].expiration === undefined ? defaults.expiration! : items[0].expiration)];
    }
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
    const cols = columns(resolved.map((item) => this.encode(ownerId, item, defaults, false)));
    // A guarded item applies only to the row read: same form, and for a re-seal the same version.
    const expectSealed = resolved.map((item) => (keepForm.has(item.name) ? (seen.get(item.name)?.encrypted ?? false) : null));
    const expectUpdated = resolved.map((item) => (reseal.has(item.name) ? (seen.get(item.name)?.updated_at ?? null) : null));
    const rows = await this.run(access, 'update', [
      cols.names, cols.hasValue, cols.values, cols.sealed, cols.keys, cols.keep, cols.exps, expectSealed, expectUpdated,
    ]);
    return this.inOrder(items, rows.map(toMeta));
  }

  /** Concurrent expiry changes of one owner may share a statement, as `set` does. */
  async setExpiry(owner: AttrOwner, name: string, expiration: number | null): Promise<AttrMeta> {
    const access = this.access(owner);
    checkName(name);
    if (expiration === undefined) throw Errors.validation(`expiration of "${name}" is required (null removes it)`);
    return this.groups.submit(access.target, 'expiry', { access, item: this.encode(null, { name, expiration }, {}, false) });
  }

  async setExpiryMany(owner: AttrOwner, items: ExpiryItem[]): Promise<AttrMeta[]> {
    if (!Array.isArray(items)) throw Errors.validation('data must be an array');
    for (const item of items) {
      if (item?.expiration === undefined) throw Errors.validation(`expiration of "${String(item?.name)}" is required (null removes it)`);
    }
    return this.updateMany(owner, items.map(({ name, expiration }) => ({ name, expiration })));
  }

  /**
   * Concurrent gets of one owner through one access may share a statement (as writes do): a get
   * that arrives while another is in flight reads with the next statement, a state no older.
   */
  async get(owner: AttrOwner, name: string): Promise<Attr | null> {
    const access = this.access(owner);
    checkName(name);
    const groups = access.target.mode === 'caller' ? this.callerReads : this.readGroups;
    return groups.submit(access.target, 'get', { access, name });
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

  /**
   * Concurrent deletes of one owner may share a statement; of several deletes of one name the first
   * to arrive succeeds and the others find it gone (`attr_not_found`), as in a serial order.
   */
  async delete(owner: AttrOwner, name: string): Promise<void> {
    const access = this.access(owner);
    checkName(name);
    await this.groups.submit(access.target, 'delete', { access, item: this.encode(null, { name }, {}, false) });
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
    const rows = await this.run(access, op, writeParams(sorted.map((item) => this.encode(ownerId, item, defaults, true))));
    return this.inOrder(items, rows.map(toMeta));
  }

  /** One read for the gets of REST callers, whatever their owners; a lone get runs as it always did. */
  private async runCallerReads(reads: Array<QueuedCall<'get', GetInput>>): Promise<void> {
    if (reads.length === 1) return this.runMergedReads(reads);
    const rows = await this.statements.runCallerReads(
      reads.map(({ input }) => {
        const target = input.access.target as Extract<StatementTarget, { mode: 'caller' }>;
        return { ust: target.ust, ownerId: target.ownerId, name: input.name };
      }),
    );
    reads.forEach((read, i) => this.answerGet(read, rows[i], rows[i]));
  }

  /** One read for gets that concurrent callers made to one owner; each caller decodes its own copy. */
  private async runMergedReads(reads: Array<QueuedCall<'get', GetInput>>): Promise<void> {
    const names = [...new Set(reads.map((read) => read.input.name))];
    const rows = await this.statements.run(reads[0].input.access.target, 'read', [names]);
    const found = new Map(rows[0].name === null ? [] : rows.map((row) => [row.name!, row]));
    for (const read of reads) this.answerGet(read, rows[0], found.get(read.input.name));
  }

  /** Answers one get from its statement's head row and its attribute's row, if any. */
  private answerGet(read: QueuedCall<'get', GetInput>, head: AttrRow, row: AttrRow | undefined): void {
    try {
      read.input.access.admit(head);
      read.resolve(row && row.name !== null ? { ...toMeta(row), value: this.codec.decode(row) } : null);
    } catch (error) {
      read.reject(error);
    }
  }

  /**
   * One statement for single writes of one kind that concurrent callers made to one owner through
   * one access. A lone write runs exactly as it would without grouping. Merged writes keep the last
   * item per name (arrival order), and each caller is answered from the rows: its own name's state,
   * which is the one it wrote or a later one. Deletes and expiry changes run without the
   * all-or-nothing check, so that one caller's missing name is that caller's `attr_not_found` alone.
   */
  private async runMerged(writes: Array<QueuedCall<MergeKind, MergeInput>>): Promise<void> {
    const { kind } = writes[0];
    const lastPerName = new Map(writes.map((write) => [write.input.item.name, write.input.item]));
    const items = [...lastPerName.values()].sort((a, b) => byteOrder(a.name, b.name));
    const merged = writes.length > 1;
    const op: AttrOp = kind === 'set' ? 'set' : kind === 'delete' ? (merged ? 'deleteEach' : 'delete') : merged ? 'updateEach' : 'update';
    const params = kind === 'set' ? writeParams(items) : kind === 'delete' ? [items.map((item) => item.name)] : updateParams(items);
    const rows = await this.statements.run(writes[0].input.access.target, op, params);
    const written = new Map(rows[0].name === null ? [] : rows.map((row) => [row.name!, toMeta(row)]));
    for (const write of writes) {
      try {
        write.input.access.admit(rows[0]);
        const { name } = write.input.item;
        const meta = written.get(name);
        if (!meta) throw Errors.attrNotFound(name);
        if (kind === 'delete') written.delete(name);
        write.resolve(kind === 'delete' ? undefined : meta);
      } catch (error) {
        write.reject(error);
      }
    }
  }

  /** The owner id, needed only when some value of the call is sealed (it is bound to its owner). */
  private sealingOwnerId(access: OwnerAccess, items: UpdateItem[], defaults: WriteOptions): Promise<string> | null {
    const sealing = items.some((item) => item.value !== undefined && this.codec.encrypts(item, defaults));
    return sealing ? access.sealingOwnerId() : null;
  }

  /**
   * One item as its statement takes it. Without `valueRequired`, an item without a value keeps its
   * stored one (`hasValue` false) and, without an expiration, its expiry.
   */
  private encode(ownerId: string | null, item: UpdateItem, defaults: WriteOptions, valueRequired: boolean): EncodedItem {
    const expiration = checkExpiration(item.expiration === undefined ? defaults.expiration : item.expiration, item.name);
    const hasValue = valueRequired || item.value !== undefined;
    const stored = hasValue ? this.codec.encode(ownerId, item, defaults) : { value: null, sealed: null, keyId: null };
    return { name: item.name, hasValue, ...stored, keep: expiration === undefined, expiration: expiration ?? null };
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

/** A sorted batch as the parallel arrays its statement takes. */
function columns(items: EncodedItem[]) {
  return {
    names: items.map((item) => item.name),
    hasValue: items.map((item) => item.hasValue),
    values: items.map((item) => item.value),
    sealed: items.map((item) => item.sealed),
    keys: items.map((item) => item.keyId),
    keep: items.map((item) => item.keep),
    exps: items.map((item) => item.expiration),
  };
}

/** The parameters of `create` and `set`. */
function writeParams(items: EncodedItem[]): unknown[][] {
  const cols = columns(items);
  return [cols.names, cols.values, cols.sealed, cols.keys, cols.exps];
}

/** The parameters of an unguarded `update`: no stored form or version to match. */
function updateParams(items: EncodedItem[]): unknown[][] {
  const cols = columns(items);
  const unguarded = items.map(() => null);
  return [cols.names, cols.hasValue, cols.values, cols.sealed, cols.keys, cols.keep, cols.exps, unguarded, unguarded];
}

/** An update that changes only the expiry: it needs no stored row first and may be merged. */
function isExpiryOnly(item: UpdateItem, defaults: WriteOptions): boolean {
  return (
    typeof item === 'object' && item !== null && item.value === undefined && item.encrypt === undefined &&
    defaults.encrypt === undefined && (item.expiration === undefined ? defaults.expiration : item.expiration) !== undefined
  );
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
