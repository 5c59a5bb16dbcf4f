import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeError } from '../common/describe-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { selectColumns } from '../database/columns';
import { Db } from '../database/db';
import { AuditContext, AuditEventEntity, AuditPage, AuditQuery, NewAuditEvent } from './audit-event.entity';

const SQL = {
  insert: `
    INSERT INTO sso_audit_event (type, outcome, reason, user_id, username, app, remote_addr, actor_id, session_id, changed)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  // Newest first; one row more than the page says whether another follows.
  page: `
    SELECT ${selectColumns(AuditEventEntity, 'e')} FROM sso_audit_event e
    WHERE ($1::uuid IS NULL OR e.user_id = $1) AND ($2::text IS NULL OR e.type = $2)
      AND ($3::timestamptz IS NULL OR e.occurred_at >= $3) AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
    ORDER BY e.occurred_at DESC, e.id DESC LIMIT $5 OFFSET $6`,
  purge: `
    DELETE FROM sso_audit_event WHERE id IN (
      SELECT id FROM sso_audit_event WHERE occurred_at < now() - make_interval(days => $1::int)
      ORDER BY occurred_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
};

/**
 * The audit trail of security events: logins, logouts, locks, password changes, session revocations
 * and user management. Recording is one INSERT; it never fails the operation it records (a failed
 * insert is logged by class and code). Nothing here ever holds a value, UST, password or token hash.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly db: Db,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  async record(event: NewAuditEvent, context: AuditContext = {}): Promise<void> {
    try {
      await this.db.execute('audit_insert', SQL.insert, [
        event.type,
        event.outcome ?? 'success',
        event.reason ?? null,
        event.userId ?? null,
        event.username ?? null,
        event.app ?? context.app ?? null,
        event.remoteAddr ?? context.remoteAddr ?? null,
        event.actorId ?? context.actorId ?? null,
        event.sessionId ?? null,
        event.changed ?? null,
      ]);
    } catch (error) {
      this.logger.warn(`audit event ${event.type} not recorded: ${describeError(error)}`);
    }
  }

  /** A page of events, newest first, filtered by user, type and time (`from` inclusive, `to` exclusive). */
  async list(query: AuditQuery = {}): Promise<AuditPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const rows = await this.db.query<AuditEventEntity>('audit_page', SQL.page, [
      query.userId ?? null,
      query.type ?? null,
      query.from ?? null,
      query.to ?? null,
      pageSize + 1,
      (page - 1) * pageSize,
    ]);
    return { events: rows.slice(0, pageSize), page, pageSize, hasMore: rows.length > pageSize };
  }

  /** Deletes up to `limit` events older than the retention period; returns how many. */
  async purgeExpired(limit: number): Promise<number> {
    if (this.config.auditRetentionDays === 0) return 0;
    return this.db.execute('audit_purge', SQL.purge, [this.config.auditRetentionDays, limit]);
  }
}
