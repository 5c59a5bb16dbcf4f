import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditContext } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { describeError } from '../common/describe-error';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { generateSessionToken, hashToken, isWellFormedToken } from '../crypto/token';
import { selectColumns } from '../database/columns';
import { Db } from '../database/db';
import { UserEntity, UserView } from '../users/user.entity';
import { SessionView } from './session.entity';
import { CALLER_CTE, SESSION_COLUMNS } from './session-sql';

/** A resolved, live session together with its user, as the guard hands it to controllers. */
export interface CurrentSession {
  session: SessionView;
  user: UserView;
}

/** A session as its user's list shows it: `current` marks the session that asked. */
export interface ListedSession extends SessionView {
  current: boolean;
}

export interface NewSession {
  userId: string;
  currentApp: string;
  remoteAddr: string | null;
  userAgent: string | null;
}

const SQL = {
  insert: `
    INSERT INTO sso_session AS s (id, token_hash, user_id, current_app, remote_addr, user_agent, expires_at, absolute_expires_at)
    VALUES ($1, $2, $3, $4, $5, $6,
            now() + make_interval(secs => LEAST($7::int, $8::int)), now() + make_interval(secs => $8::int))
    RETURNING ${SESSION_COLUMNS}`,
  resolve: `
    WITH ${CALLER_CTE}
    SELECT ${SESSION_COLUMNS.replace('s.expires_at', 'c.expires_at')}, c.touch_due AS "touchDue", row_to_json(uv) AS "user"
    FROM caller c
    JOIN sso_session s ON s.id = c.id
    JOIN LATERAL (SELECT ${selectColumns(UserEntity, 'u', ['passwordHash'])} FROM sso_user u WHERE u.id = s.user_id) uv ON true`,
  touch: `
    UPDATE sso_session s SET expires_at = LEAST($2::timestamptz, s.absolute_expires_at)
    WHERE s.id = $1 AND s.expires_at > now() AND s.expires_at < $2::timestamptz`,
  renew: `
    UPDATE sso_session s SET expires_at = LEAST(now() + make_interval(secs => $2::int), s.absolute_expires_at)
    WHERE s.id = $1 AND s.expires_at > now()
    RETURNING ${SESSION_COLUMNS}`,
  listLive: `
    SELECT ${SESSION_COLUMNS} FROM sso_session s
    WHERE s.user_id = $1 AND s.expires_at > now() ORDER BY s.created_at`,
  revoke: `DELETE FROM sso_session WHERE id = $1 AND (user_id = $2 OR $3) RETURNING user_id AS "userId"`,
  end: `DELETE FROM sso_session WHERE id = $1 RETURNING user_id AS "userId", current_app AS "currentApp"`,
  revokeAllOfUser: `DELETE FROM sso_session WHERE user_id = $1 AND id IS DISTINCT FROM $2`,
  verify: `
    SELECT 1 FROM sso_session s JOIN sso_user u ON u.id = s.user_id
    WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.is_locked AND u.approval_status = 'approved'`,
  // As verify, answering the session as stored: looking at a session does not slide it.
  inspect: `
    SELECT ${SESSION_COLUMNS} FROM sso_session s JOIN sso_user u ON u.id = s.user_id
    WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.is_locked AND u.approval_status = 'approved'`,
  sweep: `
    DELETE FROM sso_session WHERE id IN (
      SELECT id FROM sso_session WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)`,
};

@Injectable()
export class SessionsService {
  private readonly logger = new Logger('Sessions');
  /** Sessions whose slide is being written, so concurrent requests of one session write it once. */
  private readonly touching = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  /** Opens a session; the UST is returned here and nowhere else, only its hash is kept. */
  async create(input: NewSession): Promise<{ ust: string; session: SessionView }> {
    const ust = generateSessionToken();
    const [session] = await this.db.query<SessionView>('session_insert', SQL.insert, [
      randomUUID(),
      hashToken(ust),
      input.userId,
      input.currentApp,
      input.remoteAddr,
      input.userAgent,
      this.config.sessionIdleTimeoutSeconds,
      this.config.sessionAbsoluteTimeoutSeconds,
    ]);
    return { ust, session };
  }

  /** The live session of a UST with its user, sliding its idle expiry when due; one round trip. */
  async resolve(ust: string): Promise<CurrentSession> {
    if (!isWellFormedToken(ust)) throw Errors.sessionInvalid();
    const rows = await this.db.query<SessionView & { user: UserView; touchDue: boolean }>('session_resolve', SQL.resolve, [
      hashToken(ust),
      this.config.sessionIdleTimeoutSeconds,
      this.config.sessionTouchIntervalSeconds,
    ]);
    if (rows.length === 0) throw Errors.sessionInvalid();
    const { user, touchDue, ...session } = rows[0];
    if (touchDue) this.touch(session.id, session.expiresAt);
    return { session, user: reviveUserDates(user) };
  }

  /**
   * Writes a due slide of the idle expiry to `expiresAt` (the value the request answered with), off
   * the request path; it only ever moves the expiry forward. Should the write fail, the session keeps
   * its old expiry and a later use retries.
   */
  touch(sessionId: string, expiresAt: Date): void {
    if (this.touching.has(sessionId)) return;
    this.touching.add(sessionId);
    this.db
      .execute('session_touch', SQL.touch, [sessionId, expiresAt])
      .catch((error) => this.logger.warn(`session touch failed: ${describeError(error)}`))
      .finally(() => this.touching.delete(sessionId));
  }

  async renew(sessionId: string): Promise<SessionView> {
    const rows = await this.db.query<SessionView>('session_renew', SQL.renew, [
      sessionId,
      this.config.sessionIdleTimeoutSeconds,
    ]);
    if (rows.length === 0) throw Errors.sessionInvalid();
    return rows[0];
  }

  /** The live sessions of `userId`, oldest first; `currentSessionId` (the caller's) is marked `current`. */
  async list(userId: string, currentSessionId: string | null = null): Promise<ListedSession[]> {
    const sessions = await this.db.query<SessionView>('session_list', SQL.listLive, [userId]);
    return sessions.map((session) => ({ ...session, current: session.id === currentSessionId }));
  }

  /** Revokes one session of `userId` (any session when `asSuperUser`); another user's looks missing. */
  async revoke(sessionId: string, userId: string, asSuperUser: boolean, context: AuditContext = {}): Promise<void> {
    const rows = await this.db.query<{ userId: string }>('session_revoke', SQL.revoke, [sessionId, userId, asSuperUser]);
    if (rows.length === 0) throw Errors.sessionNotFound('no such session');
    await this.audit.record({ type: 'session_revoked', userId: rows[0].userId, sessionId }, { actorId: userId, ...context });
  }

  /** Ends a session by id (logout); a session already gone is no error. Answers whose it was, if it was. */
  async end(sessionId: string): Promise<{ userId: string; currentApp: string } | null> {
    const [ended] = await this.db.query<{ userId: string; currentApp: string }>('session_end', SQL.end, [sessionId]);
    return ended ?? null;
  }

  /** Ends every session of the user but `exceptSessionId`. */
  async revokeAllOfUser(userId: string, exceptSessionId?: string, context: AuditContext = {}): Promise<void> {
    await this.db.query('session_revoke_all', SQL.revokeAllOfUser, [userId, exceptSessionId ?? null]);
    await this.audit.record({ type: 'sessions_revoked', userId }, { actorId: userId, ...context });
  }

  async verify(ust: string): Promise<boolean> {
    if (!isWellFormedToken(ust)) return false;
    const rows = await this.db.query('session_verify', SQL.verify, [hashToken(ust)]);
    return rows.length > 0;
  }

  /**
   * The live session of a UST as stored, for someone other than its holder to look at (a
   * super-user): unlike `resolve` it never slides the idle expiry. `session_not_found` otherwise.
   */
  async inspect(ust: string): Promise<SessionView> {
    if (!isWellFormedToken(ust)) throw Errors.sessionNotFound();
    const [session] = await this.db.query<SessionView>('session_inspect', SQL.inspect, [hashToken(ust)]);
    if (!session) throw Errors.sessionNotFound();
    return session;
  }

  /** Deletes up to `limit` expired sessions (their attributes go with them); returns how many. */
  async sweepExpired(limit: number): Promise<number> {
    return this.db.execute('session_sweep', SQL.sweep, [limit]);
  }
}

/** Dates inside row_to_json come back as strings; turn them into Dates like the other columns. */
function reviveUserDates(user: UserView): UserView {
  for (const key of ['passwordLastSet', 'passwordExpiresAt', 'approvalStatusModTime', 'createdAt', 'updatedAt'] as const) {
    const value = user[key] as unknown;
    if (typeof value === 'string') (user as unknown as Record<string, Date>)[key] = new Date(value);
  }
  return user;
}
