import { randomBytes } from 'node:crypto';
import type { Attr } from '../../attributes/attr.types';
import { Errors } from '../../common/tessera-error';
import { isUuid } from '../../common/uuid';
import type { ListedSession } from '../../sessions/sessions.service';
import type { ApprovalStatus, UserView } from '../../users/user.entity';

/** Zato's correlation id: every answer carries one. */
export function newCid(): string {
  return randomBytes(12).toString('hex');
}

export type ZatoStatus = 'ok' | 'error' | 'warning';

/** A success: HTTP 200, `{cid, status: "ok", ...result keys}`. */
export function ok(result: Record<string, unknown> = {}): Record<string, unknown> {
  return { cid: newCid(), status: 'ok', ...result };
}

/** A missing required field: Zato answers 400 in a shape of its own, before any work. */
export class ZatoBadRequest extends Error {
  constructor() {
    super('bad request');
    this.name = 'ZatoBadRequest';
  }
}

/** A refusal that only the Zato transport makes, with Zato's code (see ZATO_ONLY). */
export class ZatoRefusal extends Error {
  constructor(readonly subStatus: string) {
    super(`refused: ${subStatus}`);
    this.name = 'ZatoRefusal';
  }
}

/**
 * A timestamp as Zato writes it (Python's `isoformat()` of a naive UTC datetime): no offset, and
 * microseconds only when there are any, so a datetime a client set to the second reads back as sent.
 * Tessera keeps milliseconds: the last three digits are zero.
 */
export function zatoTime(date: Date | null | undefined): string | null {
  if (!date) return null;
  const iso = date.toISOString();
  return date.getUTCMilliseconds() === 0 ? iso.slice(0, 19) : `${iso.slice(0, 23)}000`;
}

const ZATO_DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/;

/** A datetime a client sends (`2345-12-27T11:22:33[.ffffff]`, UTC without offset); null stays null. */
export function parseZatoTime(value: unknown, field: string): Date | null {
  if (value === null) return null;
  const match = typeof value === 'string' ? ZATO_DATETIME.exec(value) : null;
  const date = match ? new Date(`${match[1]}.${(match[2] ?? '').padEnd(3, '0').slice(0, 3)}Z`) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw Errors.validation(`${field} must be a UTC datetime such as 2025-01-02T03:04:05`);
  return date;
}

// ---- user ids: Zato's start with `zusr`; Tessera's are UUIDs ----

const ZATO_USER_PREFIX = 'zusr';
const ZATO_USER_ID = /^zusr([0-9a-f]{32})$/i;

/** `zusr` and the UUID's 32 hex digits: the same user in both APIs, mapped without a lookup. */
export function toZatoUserId(id: string): string {
  return ZATO_USER_PREFIX + id.replace(/-/g, '');
}

/** Tessera's id of a Zato `user_id` (a plain UUID is taken too); anything else names no user. */
export function fromZatoUserId(value: unknown): string {
  if (isUuid(value)) return value.toLowerCase();
  const hex = typeof value === 'string' ? ZATO_USER_ID.exec(value)?.[1].toLowerCase() : undefined;
  if (!hex) throw Errors.userNotFound();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---- approval: Zato's `before_decision` is Tessera's `pending` ----

const TO_ZATO_APPROVAL: Record<ApprovalStatus, string> = { approved: 'approved', rejected: 'rejected', pending: 'before_decision' };

export function toZatoApproval(status: ApprovalStatus): string {
  return TO_ZATO_APPROVAL[status];
}

export function fromZatoApproval(value: unknown): ApprovalStatus {
  const found = (Object.keys(TO_ZATO_APPROVAL) as ApprovalStatus[]).find((status) => TO_ZATO_APPROVAL[status] === value);
  if (!found) throw Errors.validation('approval_status must be approved, rejected or before_decision');
  return found;
}

// ---- what answers carry ----

/** Whether a user has TOTP on, and the label of its key (TotpService.status). */
export interface TotpStatus {
  enabled: boolean;
  label: string | null;
}

/** The fields of a user a regular user sees of their own account (Zato's regular attributes). */
export function zatoProfile(user: UserView, totp: TotpStatus): Record<string, unknown> {
  return {
    username: user.username,
    email: user.email,
    display_name: user.displayName,
    first_name: user.firstName,
    middle_name: user.middleName,
    last_name: user.lastName,
    is_totp_enabled: totp.enabled,
    totp_label: totp.label,
  };
}

/** Every field of a user, as a super-user sees it. */
export function zatoUser(user: UserView, totp: TotpStatus): Record<string, unknown> {
  return {
    user_id: toZatoUserId(user.id),
    ...zatoProfile(user, totp),
    is_active: true,
    is_internal: false,
    is_super_user: user.isSuperUser,
    is_locked: user.isLocked,
    // Waiting for a decision: created without auto-approval while approval is required, or a sign-up.
    is_approval_needed: user.approvalStatus === 'pending',
    approval_status: toZatoApproval(user.approvalStatus),
    // a user id (in Zato's form) or `auto`
    approval_status_mod_by: isUuid(user.approvalStatusModBy) ? toZatoUserId(user.approvalStatusModBy) : user.approvalStatusModBy,
    approval_status_mod_time: zatoTime(user.approvalStatusModTime),
    password_is_set: true,
    password_expiry: zatoTime(user.passwordExpiresAt),
    password_must_change: user.passwordMustChange,
    password_last_set: zatoTime(user.passwordLastSet),
    sign_up_status: user.signUpStatus,
    sign_up_time: zatoTime(user.createdAt),
  };
}

/**
 * A session in a list. Zato put each session's raw UST here; Tessera never answers a UST but at
 * login, so a session is named by its public id (the one the native API revokes by).
 */
export function zatoListedSession(session: ListedSession): Record<string, unknown> {
  return {
    session_id: session.id,
    is_current: session.current,
    current_app: session.currentApp,
    creation_time: zatoTime(session.createdAt),
    expiration_time: zatoTime(session.expiresAt),
    remote_addr: session.remoteAddr,
    user_agent: session.userAgent,
  };
}

/** An attribute as Zato's `get` answers it; `expiration_time` is the effective one (capped by its session). */
export function zatoAttr(attr: Attr): Record<string, unknown> {
  return {
    found: true,
    name: attr.name,
    value: attr.value,
    creation_time: zatoTime(attr.createdAt),
    last_modified: zatoTime(attr.updatedAt),
    expiration_time: zatoTime(attr.expiresAt),
    is_encrypted: attr.encrypted,
  };
}
