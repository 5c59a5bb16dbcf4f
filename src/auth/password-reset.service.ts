import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditContext } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { generateSessionToken, hashToken, isWellFormedToken } from '../crypto/token';
import { Db } from '../database/db';
import { UsersService } from '../users/users.service';
import { LoginLimits } from './login-limits.service';
import { PASSWORD_RESET_NOTIFIER, PasswordResetNotifier } from './password-reset-notifier';

/** What accessing a reset token answers: the key that, with the token, sets the new password. */
export interface PasswordResetAccess {
  resetKey: string;
  expiresAt: Date;
}

/** A reset key is short-lived: the password is to be set right after the token is opened. */
const RESET_KEY_SECONDS = 600;

interface ResetTarget {
  id: string;
  username: string;
  email: string | null;
  expiresAt: Date;
}

/** Only approved, unlocked users get a token; a user is found by username, else by an e-mail only one user has. */
const TARGET = `
  by_name AS (SELECT id FROM sso_user WHERE lower(username) = lower($1)),
  by_email AS (SELECT id FROM sso_user WHERE lower(email) = lower($1) AND NOT EXISTS (SELECT 1 FROM by_name)),
  found AS (SELECT id FROM by_name UNION ALL SELECT id FROM by_email WHERE (SELECT count(*) FROM by_email) = 1),
  target AS (
    SELECT u.id, u.username, u.email FROM sso_user u JOIN found f ON f.id = u.id
    WHERE NOT u.is_locked AND u.approval_status = 'approved')`;

const SQL = {
  // One statement whether or not the user exists, so the answer's timing tells little: the insert
  // of a data-modifying CTE runs (and inserts nothing) even when no user matched.
  request: `
    WITH ${TARGET},
    issued AS (
      INSERT INTO sso_password_reset (token_hash, user_id, expires_at)
      SELECT $2, t.id, now() + make_interval(secs => $3) FROM target t RETURNING user_id, expires_at)
    SELECT t.id, t.username, t.email, i.expires_at AS "expiresAt" FROM target t JOIN issued i ON i.user_id = t.id`,
  issueForUsername: `
    WITH target AS (SELECT id, username, email FROM sso_user WHERE lower(username) = lower($1)),
    issued AS (
      INSERT INTO sso_password_reset (token_hash, user_id, expires_at)
      SELECT $2, t.id, now() + make_interval(secs => $3) FROM target t RETURNING user_id, expires_at)
    SELECT t.id, t.username, t.email, i.expires_at AS "expiresAt" FROM target t JOIN issued i ON i.user_id = t.id`,
  // A token opens once: the reset key takes its place, and the pair lives at most RESET_KEY_SECONDS more.
  access: `
    UPDATE sso_password_reset SET reset_key_hash = $2, expires_at = least(expires_at, now() + make_interval(secs => $3))
    WHERE token_hash = $1 AND reset_key_hash IS NULL AND expires_at > now()
    RETURNING user_id AS "userId", expires_at AS "expiresAt"`,
  // Single use: completing consumes this token and every other outstanding one of the user.
  consume: `
    WITH used AS (
      DELETE FROM sso_password_reset WHERE token_hash = $1 AND reset_key_hash = $2 AND expires_at > now() RETURNING user_id),
    others AS (DELETE FROM sso_password_reset r USING used WHERE r.user_id = used.user_id)
    SELECT user_id AS "userId" FROM used`,
  sweep: `
    DELETE FROM sso_password_reset WHERE token_hash IN (
      SELECT token_hash FROM sso_password_reset WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)`,
};

/**
 * Password reset in Zato's three steps: a request by username or e-mail (a token delivered out of
 * band by the PasswordResetNotifier), access with the token (a short-lived reset key), and the new
 * password with both. Only SHA-256 of the token and of the key is stored, as for USTs.
 */
@Injectable()
export class PasswordResetService {
  private readonly logger = new Logger('PasswordReset');

  constructor(
    private readonly db: Db,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    @Inject(PASSWORD_RESET_NOTIFIER) private readonly notifier: PasswordResetNotifier,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
    private readonly limits: LoginLimits,
  ) {}

  /**
   * Issues a token when `credential` names a user and hands it to the notifier, which runs after
   * this returns (a slow mail server must not tell callers that the user exists). Answers nothing
   * either way.
   */
  async request(credential: string, context: AuditContext = {}): Promise<void> {
    // Every request counts, found or not (the answer must not tell), so nobody can flood a mailbox.
    await this.limits.countRequest('password_reset', credential, context.remoteAddr ?? null);
    const token = generateSessionToken();
    const [target] = await this.db.query<ResetTarget>('password_reset_request', SQL.request, [
      credential, hashToken(token), this.config.passwordResetTtlSeconds,
    ]);
    // Either way one event is stored (the caller's answer waits for it), so both take about as long.
    // A miss keeps no username: the credential may be any text, an e-mail address included.
    if (!target) return this.audit.record({ type: 'password_reset_requested', outcome: 'failure', reason: 'user_not_found' }, context);
    await this.audit.record({ type: 'password_reset_requested', userId: target.id }, context);
    setImmediate(() => {
      Promise.resolve()
        .then(() => this.notifier.passwordResetRequested({ userId: target.id, username: target.username, email: target.email, token, expiresAt: target.expiresAt }))
        .catch((error: unknown) => this.logger.error(`the password reset notifier failed for user ${target.id}: ${(error as Error)?.name ?? 'error'}`));
    });
  }

  /** A fresh token for the user of `username` (any state), for an operator to hand over; null if there is no such user. */
  async issueToken(username: string, context: AuditContext = {}): Promise<{ token: string; userId: string; expiresAt: Date } | null> {
    const token = generateSessionToken();
    const [target] = await this.db.query<ResetTarget>('password_reset_issue', SQL.issueForUsername, [
      username, hashToken(token), this.config.passwordResetTtlSeconds,
    ]);
    if (!target) return null;
    await this.audit.record({ type: 'password_reset_requested', userId: target.id }, context);
    return { token, userId: target.id, expiresAt: target.expiresAt };
  }

  /** Opens a token (once): answers the reset key that, with the token, sets the password. */
  async access(token: string, context: AuditContext = {}): Promise<PasswordResetAccess> {
    if (!isWellFormedToken(token)) throw Errors.passwordResetInvalid();
    const resetKey = generateSessionToken();
    const [row] = await this.db.query<{ userId: string; expiresAt: Date }>('password_reset_access', SQL.access, [
      hashToken(token), hashToken(resetKey), RESET_KEY_SECONDS,
    ]);
    if (!row) throw Errors.passwordResetInvalid();
    await this.audit.record({ type: 'password_reset_accessed', userId: row.userId }, context);
    return { resetKey, expiresAt: row.expiresAt };
  }

  /** Sets the new password with the token and its reset key (both then spent); every session of the user ends. */
  async complete(token: string, resetKey: string, password: string, context: AuditContext = {}): Promise<void> {
    if (!isWellFormedToken(token) || !isWellFormedToken(resetKey)) throw Errors.passwordResetInvalid();
    // The password is checked before the token is spent: a too-short password leaves it usable.
    this.users.checkNewPassword(password);
    const [row] = await this.db.query<{ userId: string }>('password_reset_consume', SQL.consume, [hashToken(token), hashToken(resetKey)]);
    if (!row) {
      await this.audit.record({ type: 'password_reset', outcome: 'failure', reason: 'password_reset_invalid' }, context);
      throw Errors.passwordResetInvalid();
    }
    await this.users.setPassword(row.userId, password, null, { ...context, actorId: context.actorId ?? row.userId });
    await this.audit.record({ type: 'password_reset', userId: row.userId }, { ...context, actorId: context.actorId ?? row.userId });
  }

  /** Deletes up to `limit` expired tokens; returns how many (they are refused before that anyway). */
  sweepExpired(limit: number): Promise<number> {
    return this.db.execute('password_reset_sweep', SQL.sweep, [limit]);
  }
}
