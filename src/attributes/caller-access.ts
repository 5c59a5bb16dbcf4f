import { Injectable } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { hashToken, isWellFormedToken } from '../crypto/token';
import { Db } from '../database/db';
import { SessionsService } from '../sessions/sessions.service';
import type { OwnerKind } from './attr-sql';
import type { AttrRow, StatementTarget } from './attr-statements';
import { OwnerAccess, ownerNotFound } from './owner-access';

const ALIAS_CACHE_LIMIT = 10_000;

/** What a REST call did besides its result: the caller's session, for the request log. */
export interface CallerOutcome<T> {
  result: T;
  callerSessionId: string | undefined;
}

/**
 * Attribute access for a REST caller, who brings a UST and names an owner (`null`: their own session
 * or user). The statement checks the UST and the caller's right together with the work, in its one
 * round trip; this class reads that verdict from the head row. Policy: a session is usable by its own
 * user or a super-user, a user by itself or a super-user; another user's session answers as missing
 * (session ids cannot be probed), another user id as forbidden whether or not it exists.
 */
@Injectable()
export class CallerAccess {
  /** UST hash -> owner id for `current`/`me`: sealing binds a value to its owner's id. */
  private readonly aliasOwners = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly sessions: SessionsService,
  ) {}

  async run<T>(kind: OwnerKind, ust: string, ownerId: string | null, work: (access: OwnerAccess) => Promise<T>): Promise<CallerOutcome<T>> {
    return this.runOn(kind, { mode: 'caller', ust, ownerId }, async () => ownerId ?? (await this.aliasOwner(kind, ust)), work);
  }

  /**
   * The same for a session named by its UST (Zato's `target_ust`) instead of its id, still in one
   * statement: the session is found by the hash of that UST. A UST of no live session, or of another
   * user's session for a caller who is not a super-user, answers as a missing session.
   */
  async runOnSessionToken<T>(ust: string, targetUst: string, work: (access: OwnerAccess) => Promise<T>): Promise<CallerOutcome<T>> {
    if (!isWellFormedToken(targetUst)) throw ownerNotFound('session');
    return this.runOn('session', { mode: 'caller_token', ust, ownerUst: targetUst }, () => this.aliasOwner('session', targetUst), work);
  }

  private async runOn<T>(
    kind: OwnerKind,
    target: Exclude<StatementTarget, { mode: 'direct' }>,
    sealingOwnerId: () => Promise<string>,
    work: (access: OwnerAccess) => Promise<T>,
  ): Promise<CallerOutcome<T>> {
    if (!isWellFormedToken(target.ust)) throw Errors.sessionInvalid();
    let callerSessionId: string | undefined;
    const access: OwnerAccess = {
      kind,
      target,
      admit: (head: AttrRow) => {
        if (!head.authed) throw Errors.sessionInvalid();
        callerSessionId = head.caller_session_id ?? undefined;
        if (head.touch_due && head.caller_session_id) this.sessions.touch(head.caller_session_id, head.caller_expires_at!);
        if (!head.owner_id) throw kind === 'user' && !head.caller_is_super ? Errors.superUserRequired() : ownerNotFound(kind);
        if (!head.allowed) throw kind === 'session' ? ownerNotFound(kind) : Errors.superUserRequired();
      },
      sealingOwnerId,
    };
    const result = await work(access);
    return { result, callerSessionId };
  }

  /**
   * The session or user a UST belongs to. That mapping never changes, so it is looked up once and
   * kept; the write statement itself still checks that the session is live and the caller allowed.
   */
  private async aliasOwner(kind: OwnerKind, ust: string): Promise<string> {
    const key = hashToken(ust);
    const cacheKey = `${kind}:${key.toString('base64')}`;
    const cached = this.aliasOwners.get(cacheKey);
    if (cached) return cached;
    const column = kind === 'session' ? 'id' : 'user_id';
    const rows = await this.db.query<{ owner: string }>(`attr_alias_${kind}`, `SELECT ${column} AS owner FROM sso_session WHERE token_hash = $1`, [key]);
    if (rows.length === 0) throw Errors.sessionInvalid();
    if (this.aliasOwners.size >= ALIAS_CACHE_LIMIT) this.aliasOwners.delete(this.aliasOwners.keys().next().value!);
    this.aliasOwners.set(cacheKey, rows[0].owner);
    return rows[0].owner;
  }
}
