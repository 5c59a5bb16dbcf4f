import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ApprovalStatus = 'approved' | 'pending' | 'rejected';
/** A self-service sign-up is `before_confirmation` until its token is used; every other user is `final`. */
export type SignUpStatus = 'before_confirmation' | 'final';

@Entity('sso_user')
export class UserEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') username: string;
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @Column('text', { nullable: true }) email: string | null;
  @Column('text', { name: 'display_name', nullable: true }) displayName: string | null;
  @Column('text', { name: 'first_name', nullable: true }) firstName: string | null;
  @Column('text', { name: 'middle_name', nullable: true }) middleName: string | null;
  @Column('text', { name: 'last_name', nullable: true }) lastName: string | null;
  @Column('boolean', { name: 'is_super_user' }) isSuperUser: boolean;
  @Column('boolean', { name: 'is_locked' }) isLocked: boolean;
  @Column('text', { name: 'approval_status' }) approvalStatus: ApprovalStatus;
  /** Who last set the approval status: a user id, or `auto` (sign-up without approval, the CLI). */
  @Column('text', { name: 'approval_status_mod_by', nullable: true }) approvalStatusModBy: string | null;
  @Column('timestamptz', { name: 'approval_status_mod_time', nullable: true }) approvalStatusModTime: Date | null;
  @Column('text', { name: 'sign_up_status' }) signUpStatus: SignUpStatus;
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
