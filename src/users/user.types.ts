import type { ApprovalStatus, UserView } from './user.entity';

/** Fields a user may change on their own profile. */
export type ProfileChanges = Partial<Pick<UserView, 'email' | 'displayName'>>;

/** Fields only a super-user may change (besides the profile). */
export type AdminChanges = ProfileChanges &
  Partial<Pick<UserView, 'username' | 'isSuperUser' | 'approvalStatus' | 'passwordMustChange' | 'passwordExpiresAt'>>;

export interface NewUser extends Omit<AdminChanges, 'username'> {
  username: string;
  password: string;
  approvalStatus?: ApprovalStatus;
}

export interface UserPage {
  users: UserView[];
  page: number;
  pageSize: number;
  total: number;
}
