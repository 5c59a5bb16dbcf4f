import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { AuditContext } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { Errors } from '../common/tessera-error';
import { isWellFormedText } from '../common/text';
import { PasswordHasher } from '../crypto/password-hasher.service';
import { generateSessionToken } from '../crypto/token';
import { selectColumns } from '../database/columns';
import { Db } from '../database/db';
import { ApprovalStatus, UserEntity, UserView } from './user.entity';
import { AdminChanges, NewUser, UserPage, UserSearch, UserSearchPage } from './user.types';

const UNIQUE_VIOLATION = '23505';
const VIEW = selectColumns(UserEntity, 'u', ['passwordHash']);

/** Properties a change may set, and their columns. */
const CHANGEABLE: Record<keyof AdminChanges, string> = {
  username: 'username',
  email: 'email',
  displayName: 'display_name',
  firstName: 'first_name',
  middleName: 'middle_name',
  lastName: 'last_name',
  isSuperUser: 'is_super_user',
  approvalStatus: 'approval_status',
  passwordMustChange: 'password_must_change',
  passwordExpiresAt: 'password_expires_at',
};

/** Changeable properties whose columns are NOT NULL: `null` is refused, not sent to fail there. */
const NOT_NULL = ['username', 'isSuperUser', 'approvalStatus', 'passwordMustChange'] as const;

/** $1-$3 username, display name, email (a pattern, or with $4 `exact` the value); $5-$7 the filters. */
const SEARCH_WHERE = `
      ($1::text IS NULL OR CASE WHEN $4 THEN lower(u.username) = lower($1) ELSE u.username ILIKE $1 END)
  AND ($2::text IS NULL OR CASE WHEN $4 THEN lower(u.display_name) = lower($2) ELSE u.display_name ILIKE $2 END)
  AND ($3::text IS NULL OR CASE WHEN $4 THEN lower(u.email) = lower($3) ELSE u.email ILIKE $3 END)
  AND ($5::text IS NULL OR u.approval_status = $5)
  AND ($6::boolean IS NULL OR u.is_locked = $6)
  AND ($7::text IS NULL OR u.sign_up_status = $7)`;
export const MAX_SEARCH_PAGE_SIZE = 500;

const SQL = {
  insert: `
    INSERT INTO sso_user AS u (id, username, password_hash, email, display_name, is_super_user, approval_status,
                               password_expires_at, password_must_change, approval_status_mod_by, approval_status_mod_time,
                               first_name, middle_name, last_name)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), $11, $12, $13)
    RETURNING ${VIEW}`,
  // Whether TOTP is on comes with the user, so a login without TOTP takes no second lookup.
  forLogin: `
    SELECT ${selectColumns(UserEntity, 'u')}, EXISTS (SELECT 1 FROM sso_user_totp t WHERE t.user_id = u.id) AS "totpEnabled"
    FROM sso_user u WHERE lower(u.username) = lower($1)`,
  get: `SELECT ${VIEW} FROM sso_user u WHERE u.id = $1`,
  passwordHash: `SELECT u.password_hash AS "passwordHash" FROM sso_user u WHERE u.id = $1`,
  page: `
    SELECT ${VIEW} FROM sso_user u WHERE $1::text IS NULL OR u.username ILIKE $1
    ORDER BY u.username LIMIT $2 OFFSET $3`,
  count: `SELECT count(*)::int AS total FROM sso_user u WHERE $1::text IS NULL OR u.username ILIKE $1`,
  delete: `DELETE FROM sso_user WHERE id = $1`,
  // Rejection ends the user's sessions at once, as a lock does.
  setApproval: `
    WITH u AS (UPDATE sso_user SET approval_status = $2, approval_status_mod_by = $3, approval_status_mod_time = now(),
                                   updated_at = now()
               WHERE id = $1 RETURNING *),
         ended AS (DELETE FROM sso_session s USING u WHERE $2 = 'rejected' AND s.user_id = u.id)
    SELECT ${VIEW} FROM u`,
  search: `SELECT ${VIEW} FROM sso_user u WHERE ${SEARCH_WHERE} ORDER BY lower(u.username), u.id LIMIT $8 OFFSET $9`,
  searchCount: `SELECT count(*)::int AS total FROM sso_user u WHERE ${SEARCH_WHERE}`,
  // Locking takes effect at once (session lookups refuse a locked user's sessions) and ends them, in
  // the same statement, so unlocking later does not bring old sessions back.
  setLocked: `
    WITH u AS (UPDATE sso_user SET is_locked = $2, updated_at = now() WHERE id = $1 RETURNING *),
         ended AS (DELETE FROM sso_session s USING u WHERE $2 AND s.user_id = u.id)
    SELECT ${VIEW} FROM u`,
  // A new password ends the sessions opened under the old one (all but `$3`, the caller's), at once.
  setPassword: `
    WITH u AS (
      UPDATE sso_user SET password_hash = $2, password_last_set = now(), password_must_change = false,
                          password_expires_at = NULL, updated_at = now()
      WHERE id = $1 RETURNING id),
    ended AS (DELETE FROM sso_session s USING u WHERE s.user_id = u.id AND s.id IS DISTINCT FROM $3::uuid)
    SELECT id FROM u`,
  // A super-user's new password for someone else: every session of the user ends.
  adminSetPassword: `
    WITH u AS (
      UPDATE sso_user SET password_hash = $2, password_last_set = now(), password_must_change = $3,
                          password_expires_at = now() + make_interval(days => $4::int), updated_at = now()
      WHERE id = $1 RETURNING id),
    ended AS (DELETE FROM sso_session s USING u WHERE s.user_id = u.id)
    SELECT id FROM u`,
};

/** Users: accounts, profiles, passwords and locks. Every method is one statement. */
@Injectable()
export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  /** `context` (here and below) says who acts and from where, for the audit trail. */
  async create(input: NewUser, context: AuditContext = {}): Promise<UserView> {
    checkText({ username: input.username, email: input.email, displayName: input.displayName, firstName: input.firstName, middleName: input.middleName, lastName: input.lastName });
    if (input.password !== undefined) this.checkPasswordPolicy(input.password);
    const passwordHash = await this.hasher.hash(input.password ?? generateSessionToken());
    const rows = await this.db
      .query<UserView>('user_insert', SQL.insert, [
        randomUUID(),
        input.username,
        passwordHash,
        input.email ?? null,
        input.displayName ?? null,
        input.isSuperUser ?? false,
        input.approvalStatus ?? 'approved',
        input.passwordExpiresAt ?? null,
        input.passwordMustChange ?? false,
        approvalModBy(context),
        input.firstName ?? null,
        input.middleName ?? null,
        input.lastName ?? null,
      ])
      .catch((error) => Promise.reject(uniqueUsername(error)));
    await this.audit.record({ type: 'user_created', userId: rows[0].id }, context);
    return rows[0];
  }

  /** The user of `username`, compared case-insensitively, with its password hash and whether TOTP is on (login only). */
  async findForLogin(username: string): Promise<(UserEntity & { totpEnabled: boolean }) | null> {
    return (await this.db.query<UserEntity & { totpEnabled: boolean }>('user_for_login', SQL.forLogin, [username]))[0] ?? null;
  }

  async get(id: string): Promise<UserView> {
    const rows = await this.db.query<UserView>('user_get', SQL.get, [id]);
    if (rows.length === 0) throw Errors.userNotFound();
    return rows[0];
  }

  /** A page of users ordered by username; `query` matches a part of the username, any case. */
  async list(query: string | undefined, page = 1, pageSize = 50): Promise<UserPage> {
    const pattern = query ? `%${query.replace(/[\\%_]/g, '\\$&')}%` : null;
    const [users, [{ total }]] = await Promise.all([
      this.db.query<UserView>('user_page', SQL.page, [pattern, pageSize, (page - 1) * pageSize]),
      this.db.query<{ total: number }>('user_count', SQL.count, [pattern]),
    ]);
    return { users, page, pageSize, total };
  }

  /** Applies the given fields (undefined ones are left alone) and answers the changed user. */
  async update(id: string, changes: AdminChanges, context: AuditContext = {}): Promise<UserView> {
    for (const field of NOT_NULL) {
      if ((changes as Record<string, unknown>)[field] === null) throw Errors.validation(`${field} cannot be null`);
    }
    checkText({
      username: changes.username, email: changes.email, displayName: changes.displayName,
      firstName: changes.firstName, middleName: changes.middleName, lastName: changes.lastName,
    });
    const sets: string[] = [];
    const values: unknown[] = [id];
    for (const [key, column] of Object.entries(CHANGEABLE)) {
      const value = (changes as Record<string, unknown>)[key];
      if (value === undefined) continue;
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    }
    // Named by the fields changed; the approval who/when columns go with approval_status, and PostgreSQL
    // keeps only 63 characters of a statement name, so a longer one is named by its hash.
    const fieldsName = `user_update_${sets.map((s) => s.split(' ')[0]).join('_')}`;
    const statementName = fieldsName.length <= 63 ? fieldsName : `user_update_${createHash('sha256').update(fieldsName).digest('hex').slice(0, 24)}`;
    if (changes.approvalStatus !== undefined) {
      values.push(approvalModBy(context));
      sets.push(`approval_status_mod_by = $${values.length}`, 'approval_status_mod_time = now()');
    }
    if (sets.length === 0) return this.get(id);
    const rows = await this.db
      .query<UserView>(statementName,
        `UPDATE sso_user u SET ${sets.join(', ')}, updated_at = now() WHERE u.id = $1 RETURNING ${VIEW}`, values)
      .catch((error) => Promise.reject(uniqueUsername(error)));
    if (rows.length === 0) throw Errors.userNotFound();
    // Names of the fields changed, never their values.
    const changed = Object.keys(CHANGEABLE).filter((key) => (changes as Record<string, unknown>)[key] !== undefined);
    await this.audit.record({ type: 'user_updated', userId: id, changed }, context);
    return rows[0];
  }

  /** Deletes the user; its sessions and attributes go with it (foreign keys cascade). */
  async delete(id: string, context: AuditContext = {}): Promise<void> {
    if ((await this.db.execute('user_delete', SQL.delete, [id])) === 0) throw Errors.userNotFound();
    await this.audit.record({ type: 'user_deleted', userId: id }, context);
  }

  /** Locks (ending every session of the user) or unlocks. */
  async setLocked(id: string, isLocked: boolean, context: AuditContext = {}): Promise<UserView> {
    const rows = await this.db.query<UserView>('user_set_locked', SQL.setLocked, [id, isLocked]);
    if (rows.length === 0) throw Errors.userNotFound();
    await this.audit.record({ type: isLocked ? 'user_locked' : 'user_unlocked', userId: id }, context);
    return rows[0];
  }

  /** Changes the password after checking the old one; every other session of the user ends. */
  async changePassword(
    userId: string,
    currentSessionId: string | null,
    oldPassword: string,
    newPassword: string,
    context: AuditContext = {},
  ): Promise<void> {
    const [row] = await this.db.query<{ passwordHash: string }>('user_password_hash', SQL.passwordHash, [userId]);
    if (!row) throw Errors.userNotFound();
    if (!(await this.hasher.verify(row.passwordHash, oldPassword))) {
      await this.audit.record({ type: 'password_changed', outcome: 'failure', reason: 'invalid_credentials', userId }, context);
      throw Errors.invalidCredentials();
    }
    await this.setPassword(userId, newPassword, currentSessionId, context);
  }

  /** Sets a new password; every session of the user but `keepSessionId` ends. */
  async setPassword(userId: string, newPassword: string, keepSessionId: string | null = null, context: AuditContext = {}): Promise<void> {
    this.checkPasswordPolicy(newPassword);
    const passwordHash = await this.hasher.hash(newPassword);
    const rows = await this.db.query('user_set_password', SQL.setPassword, [userId, passwordHash, keepSessionId]);
    if (rows.length === 0) throw Errors.userNotFound();
    await this.audit.record({ type: 'password_changed', userId }, context);
  }

  // ---- sign-up, approval and search (issue 9, second half) ----

  /** The argon2 hash of a new password after the password policy; for callers that insert users themselves (sign-up). */
  async hashNewPassword(password: string): Promise<string> {
    this.checkPasswordPolicy(password);
    return this.hasher.hash(password);
  }

  /**
   * Approves or rejects the user, recording who (`context.actorId`, or `auto`) and when. Rejecting
   * ends the user's sessions in the same statement, as locking does.
   */
  async setApproval(id: string, status: Exclude<ApprovalStatus, 'pending'>, context: AuditContext = {}): Promise<UserView> {
    const rows = await this.db.query<UserView>('user_set_approval', SQL.setApproval, [id, status, approvalModBy(context)]);
    if (rows.length === 0) throw Errors.userNotFound();
    await this.audit.record({ type: status === 'approved' ? 'user_approved' : 'user_rejected', userId: id }, context);
    return rows[0];
  }

  /**
   * Users matching every given criterion, ordered by username, a page at a time. `username`,
   * `displayName` and `email` match a part of the field in any case, or (`exact`) the whole field
   * in any case.
   */
  async search(criteria: UserSearch = {}): Promise<UserSearchPage> {
    const pageSize = Math.min(Math.max(criteria.pageSize ?? 50, 1), MAX_SEARCH_PAGE_SIZE);
    const page = Math.max(criteria.page ?? 1, 1);
    const exact = criteria.exact ?? false;
    const term = (value: string | undefined) =>
      value === undefined ? null : exact ? value : `%${value.replace(/[\\%_]/g, '\\$&')}%`;
    const filters = [
      term(criteria.username), term(criteria.displayName), term(criteria.email), exact,
      criteria.approvalStatus ?? null, criteria.isLocked ?? null, criteria.signUpStatus ?? null,
    ];
    const [users, [{ total }]] = await Promise.all([
      this.db.query<UserView>('user_search', SQL.search, [...filters, pageSize, (page - 1) * pageSize]),
      this.db.query<{ total: number }>('user_search_count', SQL.searchCount, filters),
    ]);
    const numPages = Math.ceil(total / pageSize);
    return { users, total, page, pageSize, numPages, hasNextPage: page < numPages, hasPrevPage: page > 1 };
  }

  // ---- end of sign-up, approval and search ----
  // --- user lifecycle (issue 9): passwords a super-user sets ---

  /**
   * Sets the password of a user as a super-user, optionally expiring in `expiresInDays` and to be
   * changed at the next login; every session of the user ends.
   */
  async adminSetPassword(
    userId: string,
    password: string,
    options: { expiresInDays?: number; mustChange?: boolean } = {},
    context: AuditContext = {},
  ): Promise<void> {
    this.checkPasswordPolicy(password);
    const passwordHash = await this.hasher.hash(password);
    const rows = await this.db.query('user_admin_set_password', SQL.adminSetPassword, [
      userId, passwordHash, options.mustChange ?? false, options.expiresInDays ?? null,
    ]);
    if (rows.length === 0) throw Errors.userNotFound();
    await this.audit.record({ type: 'password_changed', userId }, context);
  }

  /** Throws validation_failed for a password the policy refuses, before any work that would spend something. */
  checkNewPassword(password: string): void {
    this.checkPasswordPolicy(password);
  }

  private checkPasswordPolicy(password: string) {
    checkText({ password });
    if ([...password].length < this.config.passwordMinLength) {
      throw Errors.validation(`password must be at least ${this.config.passwordMinLength} characters`);
    }
  }
}

/** Who set an approval status: the acting user, or `auto` when no user acts (the CLI, in-process calls). */
function approvalModBy(context: AuditContext): string {
  return context.actorId ?? 'auto';
}

/** Stored text must be well-formed Unicode (see isWellFormedText); a password too, or two would hash alike. */
export function checkText(fields: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (typeof value === 'string' && !isWellFormedText(value)) {
      throw Errors.validation(`${field} must be well-formed Unicode (no unpaired surrogates)`);
    }
  }
}

/** A unique violation on insert or rename is the username being taken; anything else passes through. */
export function uniqueUsername(error: unknown): unknown {
  return (error as { code?: string }).code === UNIQUE_VIOLATION ? Errors.userExists() : error;
}
