import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditContext } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { generateSessionToken, hashToken, isWellFormedToken } from '../crypto/token';
import { selectColumns } from '../database/columns';
import { Db } from '../database/db';
import { UserEntity, UserView } from './user.entity';
import { checkText, uniqueUsername, UsersService } from './users.service';

const VIEW = selectColumns(UserEntity, 'u', ['passwordHash']);

export interface SignUpInput {
  username: string;
  password: string;
  email?: string | null;
  displayName?: string | null;
  /** The app signing up from; must be in `signupApps`. */
  app: string;
}

export interface SignUpResult {
  userId: string;
  /** The only copy there is: Tessera keeps its SHA-256. The caller delivers it (e-mail, link). */
  confirmToken: string;
  expiresAt: Date;
}

const SQL = {
  // The user and its token together: either both exist or neither.
  insert: `
    WITH u AS (
      INSERT INTO sso_user (id, username, password_hash, email, display_name, is_super_user, approval_status, sign_up_status,
                            password_expires_at)
      VALUES ($1, $2, $3, $4, $5, false, 'pending', 'before_confirmation', $9) RETURNING id)
    INSERT INTO sso_signup_token (token_hash, user_id, app, expires_at)
    SELECT $6, u.id, $7, now() + make_interval(secs => $8) FROM u
    RETURNING expires_at AS "expiresAt"`,
  // Spending the token and confirming the user in one statement: of two confirmations racing,
  // exactly one finds `confirmed_at IS NULL`. Without required approval ($2 false) a pending user
  // becomes approved by `auto`; a decision a super-user already took (approve, reject) stands.
  confirm: `
    WITH t AS (
      UPDATE sso_signup_token SET confirmed_at = now()
      WHERE token_hash = $1 AND confirmed_at IS NULL AND expires_at > now() RETURNING user_id),
    u AS (
      UPDATE sso_user u
      SET sign_up_status = 'final', updated_at = now(),
          approval_status = CASE WHEN NOT $2 AND u.approval_status = 'pending' THEN 'approved' ELSE u.approval_status END,
          approval_status_mod_by = CASE WHEN NOT $2 AND u.approval_status = 'pending' THEN 'auto' ELSE u.approval_status_mod_by END,
          approval_status_mod_time = CASE WHEN NOT $2 AND u.approval_status = 'pending' THEN now() ELSE u.approval_status_mod_time END
      FROM t WHERE u.id = t.user_id RETURNING u.*)
    SELECT ${VIEW} FROM u`,
  // Tokens an hour past expiry go (until then a late confirmation is told `expired`); with an
  // unconfirmed one goes its user (never confirmed, never able to log in), which frees the username.
  // Confirmed tokens are kept until then only to answer a second use.
  sweep: `
    WITH gone AS (
      SELECT token_hash, user_id, confirmed_at FROM sso_signup_token WHERE expires_at <= now() - interval '1 hour'
      ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED),
    users AS (
      DELETE FROM sso_user u USING gone g
      WHERE u.id = g.user_id AND g.confirmed_at IS NULL AND u.sign_up_status = 'before_confirmation'),
    tokens AS (DELETE FROM sso_signup_token t USING gone g WHERE t.token_hash = g.token_hash)
    SELECT count(*)::int AS n FROM gone`,
  why: `SELECT confirmed_at IS NOT NULL AS confirmed, expires_at <= now() AS expired FROM sso_signup_token WHERE token_hash = $1`,
};

/**
 * Self-service sign-up: a user created by themself from an app allowed to sign up, who cannot log
 * in until the confirmation token (answered to the caller, as Zato does) comes back, and then, when
 * `signupApprovalRequired`, until a super-user approves them.
 */
@Injectable()
export class SignupService {
  constructor(
    private readonly db: Db,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  async signUp(input: SignUpInput, context: AuditContext = {}): Promise<SignUpResult> {
    if (!this.config.apps.includes(input.app)) throw Errors.appNotAllowed();
    if (!this.config.signupApps.includes(input.app)) throw Errors.signupNotAllowed();
    checkText({ username: input.username, email: input.email, displayName: input.displayName });
    const passwordHash = await this.users.hashNewPassword(input.password);
    const userId = randomUUID();
    const confirmToken = generateSessionToken();
    const rows = await this.db
      .query<{ expiresAt: Date }>('signup_insert', SQL.insert, [
        userId, input.username, passwordHash, input.email ?? null, input.displayName ?? null,
        hashToken(confirmToken), input.app, this.config.signupTokenTtlSeconds, this.users.passwordExpiry(),
      ])
      .catch((error) => Promise.reject(uniqueUsername(error)));
    await this.audit.record({ type: 'signup', userId, actorId: userId, app: input.app }, context);
    return { userId, confirmToken, expiresAt: rows[0].expiresAt };
  }

  /** Confirms the sign-up of `confirmToken`, once; the user is then `pending` or `approved` (setting). */
  async confirm(confirmToken: string, context: AuditContext = {}): Promise<UserView> {
    if (!isWellFormedToken(confirmToken)) throw Errors.signupTokenInvalid();
    const hash = hashToken(confirmToken);
    const [user] = await this.db.query<UserView>('signup_confirm', SQL.confirm, [hash, this.config.signupApprovalRequired]);
    if (!user) {
      const [why] = await this.db.query<{ confirmed: boolean; expired: boolean }>('signup_why', SQL.why, [hash]);
      if (!why) throw Errors.signupTokenInvalid();
      throw why.confirmed ? Errors.signupConfirmed() : Errors.signupTokenExpired();
    }
    await this.audit.record({ type: 'signup_confirmed', userId: user.id, actorId: user.id }, context);
    return user;
  }

  /** Deletes up to `limit` expired tokens, with the users of those never confirmed; returns how many tokens. */
  async sweepExpired(limit: number): Promise<number> {
    const [{ n }] = await this.db.query<{ n: number }>('signup_sweep', SQL.sweep, [limit]);
    return n;
  }
}
