import { Injectable } from '@nestjs/common';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { AuditContext } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { Errors } from '../common/tessera-error';
import { selectColumns } from '../database/columns';
import { Db } from '../database/db';
import { checkText, UsersService } from './users.service';

/** The kinds of external identity a user may be linked to (Zato's). */
export const LINKED_AUTH_TYPES = ['basic_auth', 'jwt'] as const;
export type LinkedAuthType = (typeof LINKED_AUTH_TYPES)[number];

/** An external identity linked to a user: a Zato security definition's type and its username. */
@Entity('sso_linked_auth')
export class LinkedAuthEntity {
  @PrimaryColumn('uuid', { name: 'user_id' }) userId: string;
  @PrimaryColumn('text', { name: 'auth_type' }) authType: LinkedAuthType;
  @PrimaryColumn('text', { name: 'auth_username' }) authUsername: string;
  @Column('boolean', { name: 'is_active' }) isActive: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
export type LinkedAuth = LinkedAuthEntity;

export type NewLinkedAuth = Pick<LinkedAuth, 'authType' | 'authUsername'> & Partial<Pick<LinkedAuth, 'isActive'>>;

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const VIEW = selectColumns(LinkedAuthEntity, 'l');

const SQL = {
  list: `SELECT ${VIEW} FROM sso_linked_auth l WHERE l.user_id = $1 ORDER BY l.auth_type, l.auth_username`,
  insert: `
    INSERT INTO sso_linked_auth AS l (user_id, auth_type, auth_username, is_active) VALUES ($1, $2, $3, $4)
    RETURNING ${VIEW}`,
  delete: `DELETE FROM sso_linked_auth WHERE user_id = $1 AND auth_type = $2 AND auth_username = $3`,
};

/** Linked auth records: a user's external identities. They go with the user (foreign key cascade). */
@Injectable()
export class LinkedAuthService {
  constructor(
    private readonly db: Db,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  async list(userId: string): Promise<LinkedAuth[]> {
    const rows = await this.db.query<LinkedAuth>('linked_auth_list', SQL.list, [userId]);
    if (rows.length === 0) await this.users.get(userId); // user_not_found for no such user
    return rows;
  }

  /** Links `(authType, authUsername)` to the user; a second link of the same pair is `linked_auth_exists`. */
  async add(userId: string, record: NewLinkedAuth, context: AuditContext = {}): Promise<LinkedAuth> {
    checkRecord(record);
    const rows = await this.db
      .query<LinkedAuth>('linked_auth_insert', SQL.insert, [userId, record.authType, record.authUsername, record.isActive ?? true])
      .catch((error) => {
        const code = (error as { code?: string }).code;
        return Promise.reject(code === UNIQUE_VIOLATION ? Errors.linkedAuthExists() : code === FOREIGN_KEY_VIOLATION ? Errors.userNotFound() : error);
      });
    await this.audit.record({ type: 'linked_auth_added', userId }, context);
    return rows[0];
  }

  async remove(userId: string, record: Pick<LinkedAuth, 'authType' | 'authUsername'>, context: AuditContext = {}): Promise<void> {
    checkRecord(record);
    if ((await this.db.execute('linked_auth_delete', SQL.delete, [userId, record.authType, record.authUsername])) === 0) {
      await this.users.get(userId);
      throw Errors.linkedAuthNotFound();
    }
    await this.audit.record({ type: 'linked_auth_removed', userId }, context);
  }
}

function checkRecord(record: Pick<LinkedAuth, 'authType' | 'authUsername'>): void {
  if (!LINKED_AUTH_TYPES.includes(record.authType)) throw Errors.validation(`authType must be one of ${LINKED_AUTH_TYPES.join(', ')}`);
  if (typeof record.authUsername !== 'string' || record.authUsername.length === 0 || record.authUsername.length > 256) {
    throw Errors.validation('authUsername must be 1-256 characters');
  }
  checkText({ authUsername: record.authUsername });
}
