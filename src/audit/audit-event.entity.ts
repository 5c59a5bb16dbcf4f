import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What an audit event records. Attributes are not audited (they are data, not security events). */
export const AUDIT_EVENT_TYPES = [
  'login',
  'logout',
  'password_changed',
  'user_locked',
  'user_unlocked',
  'session_revoked',
  'sessions_revoked',
  'user_created',
  'user_updated',
  'user_deleted',
  'signup',
  'signup_confirmed',
  'user_approved',
  'user_rejected',
  'linked_auth_added',
  'linked_auth_removed',
  'totp_enabled',
  'totp_disabled',
  'password_reset_requested',
  'password_reset_accessed',
  'password_reset',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

@Entity('sso_audit_event')
export class AuditEventEntity {
  /** bigint, answered as a string. */
  @PrimaryColumn('bigint') id: string;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
  @Column('text') type: AuditEventType;
  @Column('text') outcome: 'success' | 'failure';
  /** The error code of a failure (`invalid_credentials`, `rate_limited`, ...). */
  @Column('text', { nullable: true }) reason: string | null;
  /** The user the event is about (for a failed login: the user of that name, if there is one). */
  @Column('uuid', { name: 'user_id', nullable: true }) userId: string | null;
  /** The username as a login attempt gave it (not a secret; kept for logins only). */
  @Column('text', { nullable: true }) username: string | null;
  @Column('text', { nullable: true }) app: string | null;
  @Column('text', { name: 'remote_addr', nullable: true }) remoteAddr: string | null;
  /** Who acted: the user themself, or the super-user acting on them. */
  @Column('uuid', { name: 'actor_id', nullable: true }) actorId: string | null;
  @Column('uuid', { name: 'session_id', nullable: true }) sessionId: string | null;
  /** For `user_updated`: the names of the fields changed, never their values. */
  @Column('text', { array: true, nullable: true }) changed: string[] | null;
}

export type AuditEvent = AuditEventEntity;

/** Who acts and from where, as the transports know it; every field optional (in-process calls). */
export interface AuditContext {
  actorId?: string | null;
  remoteAddr?: string | null;
  app?: string | null;
}

/** One event to record: its type and whatever of the rest applies. */
export type NewAuditEvent = Pick<AuditEventEntity, 'type'> &
  Partial<Omit<AuditEventEntity, 'id' | 'occurredAt' | 'type'>>;

export interface AuditQuery {
  userId?: string;
  type?: AuditEventType;
  from?: Date;
  to?: Date;
  page?: number;
  pageSize?: number;
}

export interface AuditPage {
  events: AuditEvent[];
  page: number;
  pageSize: number;
  /** Whether an older page follows. */
  hasMore: boolean;
}
