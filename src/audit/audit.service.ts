import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeError } from '../common/describe-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { selectColumns } from '../database/columns';
import { Db } from '../database/db';
import { AuditContext, AuditEventEntity, AuditPage, AuditQuery, NewAuditEvent } from './audit-event.entity';

/** Most events written by one statement. */
const MAX_BATCH = 500;

const SQL = {
  // One row per array position; `changed` travels as comma-joined field names.
  insert: `
    INSERT INTO sso_audit_event (type, outcome, reason, user_id, username, app, remote_addr, actor_id, session_id, changed)
    SELECT e.type, e.outcome, e.reason, e.user_id, e.username, e.app, e.remote_addr, e.actor_id, e.session_id,
           string_to_array(e.changed, ',')
    FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::uuid[],
                $9::uuid[], $10::text[])
      AS e(type, outcome, reason, user_id, username, app, remote_addr, actor_id, session_id, changed)`,
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

type Row = [string, string, string | null, string | null, string | null, string | null, string | null, string | null, string | null, string | null];

/**
 * The audit trail of security events: logins, logouts, locks, password changes, session revocations
 * and user management. Nothing here ever holds a value, UST, password or token hash.
 *
 * Events are written by group commit: while one INSERT is in flight, the events recorded meanwhile
 * wait and then go together in the next one. `record` resolves once its event is written, so an
 * answered request has its event stored, yet a flood of refused logins costs a few statements, not
 * one per attempt, and does not crowd other logins out of the connection pool. A failed write never
 * fails the operation it records; it is logged by class and code.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');
  private readonly waiting: Array<{ row: Row; written: () => void }> = [];
  private writing = false;

  constructor(
    private readonly db: Db,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  record(event: NewAuditEvent, context: AuditContext = {}): Promise<void> {
    const row: Row = [
      event.type,
      event.outcome ?? 'success',
      event.reason ?? null,
      event.userId ?? null,
      event.username ?? null,
      event.app ?? context.app ?? null,
      event.remoteAddr ?? context.remoteAddr ?? null,
      event.actorId ?? context.actorId ?? null,
      event.sessionId ?? null,
      event.changed ? event.changed.join(',') : null,
    ];
    return new Promise((written) => {
      this.waiting.push({ row, written });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      const columns = batch[0].row.map((_, i) => batch.map(({ row }) => row[i]));
      try {
        await this.db.execute('audit_insert', SQL.insert, columns);
      } catch (error) {
        this.logger.warn(`${batch.length} audit event(s) not recorded: ${describeError(error)}`);
      }
      for (const { written } of batch) written();
    }
    this.writing = false;
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
