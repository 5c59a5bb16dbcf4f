import type { DatabaseError } from 'pg';
import { Errors, TesseraError } from '../common/tessera-error';
import { TesseraConfig } from '../config/options';
import { hashToken } from '../crypto/token';
import { Db } from '../database/db';
import { AttrOp, BATCH_ONLY_OPS, buildAttrStatement, buildCallerReadMany, OwnerKind } from './attr-sql';
import { ownerNotFound } from './owner-access';

/** One row of an attribute statement: the head columns (every row), then the attribute's, NULL when none. */
export interface AttrRow {
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

/**
 * Whose attributes a statement works on: an owner id the calling code vouches for (in-process), or
 * the owner that a REST caller's UST names, checked by the statement itself (`ownerId` null: the
 * caller's own session or user).
 */
export type StatementTarget =
  | { mode: 'direct'; ownerId: string }
  | { mode: 'caller'; ust: string; ownerId: string | null }
  | { mode: 'caller_token'; ust: string; ownerUst: string };

/** deadlock_detected, serialization_failure */
const RETRYABLE = new Set(['40P01', '40001']);
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Runs attribute statements: builds each once per shape and keeps it, sends it as a named prepared
 * statement with the target's parameters first, retries what PostgreSQL aborted whole, and turns a
 * batch's own abort (`tessera_fail`) into its error code.
 */
export class AttrStatements {
  private readonly cache = new Map<string, { name: string; text: string }>();
  private callerReads?: { name: string; text: string };

  constructor(
    private readonly kind: OwnerKind,
    private readonly db: Db,
    private readonly config: TesseraConfig,
  ) {}

  /**
   * `params` are the operation's parallel arrays; a batch of one travels as scalars, in its own
   * statement. Answers every row, the first carrying the head columns even when nothing matched.
   */
  async run(target: StatementTarget, op: AttrOp, params: unknown[][]): Promise<AttrRow[]> {
    const prefix =
      target.mode === 'direct'
        ? [target.ownerId]
        : [
            hashToken(target.ust), this.config.sessionIdleTimeoutSeconds, this.config.sessionTouchIntervalSeconds,
            target.mode === 'caller' ? target.ownerId : hashToken(target.ownerUst),
          ];
    const single = params.length > 0 && params[0].length === 1 && !BATCH_ONLY_OPS.has(op);
    const { name, text } = this.statement(target.mode, op, single);
    return this.send(name, text, [...prefix, ...(single ? params.map((p) => p[0]) : params)]);
  }

  /**
   * The single gets of several REST callers in one statement (buildCallerReadMany): one row per
   * get, in the order given, each with its own head columns.
   */
  runCallerReads(gets: Array<{ ust: string; ownerId: string | null; name: string }>): Promise<AttrRow[]> {
    const { name, text } = (this.callerReads ??= buildCallerReadMany(this.kind));
    return this.send(name, text, [
      gets.map((get) => hashToken(get.ust)), gets.map((get) => get.ownerId), gets.map((get) => get.name),
      this.config.sessionIdleTimeoutSeconds, this.config.sessionTouchIntervalSeconds,
    ]);
  }

  private async send(name: string, text: string, values: unknown[]): Promise<AttrRow[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.query<AttrRow>(name, text, values);
      } catch (error) {
        // Batches touching overlapping rows in another order can deadlock; PostgreSQL aborts one of
        // them whole, so running it again is safe.
        if (attempt < 3 && RETRYABLE.has((error as DatabaseError)?.code ?? '')) continue;
        // The owner was deleted between the statement's check and its insert (the insert waited for
        // the owner's row): it is gone, as if the check had come later.
        if ((error as DatabaseError)?.code === FOREIGN_KEY_VIOLATION) throw ownerNotFound(this.kind);
        throw batchFailure(error) ?? error;
      }
    }
  }

  private statement(mode: StatementTarget['mode'], op: AttrOp, single: boolean) {
    const key = `${mode}:${op}:${single}`;
    let statement = this.cache.get(key);
    if (!statement) this.cache.set(key, (statement = buildAttrStatement(this.kind, mode, op, single)));
    return statement;
  }
}

/** `tessera_fail` aborts a batch with a stable code as its message and the names as its detail. */
function batchFailure(error: unknown): TesseraError | undefined {
  const e = error as DatabaseError;
  if (e?.code !== 'P0001') return undefined;
  if (e.message === 'attr_exists') return Errors.attrExists(e.detail ?? '');
  if (e.message === 'attr_not_found') return Errors.attrNotFound(e.detail ?? '');
  return undefined;
}
