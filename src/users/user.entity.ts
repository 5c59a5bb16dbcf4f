import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ApprovalStatus = 'approved' | 'pending' | 'rejected';

@Entity('sso_user')
export class UserEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') username: string;
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @Column('text', { nullable: true }) email: string | null;
  @Column('text', { name: 'display_name', nullable: true }) displayName: string | null;
  @Column('boolean', { name: 'is_super_user' }) isSuperUser: boolean;
  @Column('boolean', { name: 'is_locked' }) isLocked: boolean;
  @Column('text', { name: 'approval_status' }) approvalStatus: ApprovalStatus;
  @Column('timestamptz', { name: 'password_last_set' }) passwordLastSet: Date;
  @Column('timestamptz', { name: 'password_expires_at', nullable: true }) passwordExpiresAt: Date | null;
  @Column('boolean', { name: 'password_must_change' }) passwordMustChange: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

/** What a client may see of a user: everything but the password hash. */
export type UserView = Omit<UserEntity, 'passwordHash'>;

export function toUserView({ passwordHash: _hidden, ...view }: UserEntity): UserView {
  return view;
}
