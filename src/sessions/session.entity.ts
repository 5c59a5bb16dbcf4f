import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('sso_session')
export class SessionEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('bytea', { name: 'token_hash' }) tokenHash: Buffer;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'current_app' }) currentApp: string;
  @Column('text', { name: 'remote_addr', nullable: true }) remoteAddr: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'absolute_expires_at' }) absoluteExpiresAt: Date;
}

/** What a client may see of a session: never the token or its hash. */
export type SessionView = Omit<SessionEntity, 'tokenHash'>;

export function toSessionView({ tokenHash: _hidden, ...view }: SessionEntity): SessionView {
  return view;
}
