import type { ApprovalStatus, SignUpStatus, UserView } from './user.entity';

/** Fields a user may change on their own profile. */
export type ProfileChanges = Partial<Pick<UserView, 'email' | 'displayName' | 'firstName' | 'middleName' | 'lastName'>>;

/** Fields only a super-user may change (besides the profile). */
export type AdminChanges = ProfileChanges &
  Partial<Pick<UserView, 'username' | 'isSuperUser' | 'approvalStatus' | 'passwordMustChange' | 'passwordExpiresAt'>>;

export interface NewUser extends Omit<AdminChanges, 'username'> {
  username: string;
  /**
   * Absent: a random password nobody knows, so the user cannot log in until a super-user sets one
   * or a password reset does (Zato's super-users create users without a password).
   */
  password?: string;
  approvalStatus?: ApprovalStatus;
}

export interface UserPage {
  users: UserView[];
  page: number;
  pageSize: number;
  total: number;
}

/** What `UsersService.search` matches; every criterion optional, all given ones must hold. */
export interface UserSearch {
  username?: string;
  displayName?: string;
  email?: string;
  /** Match the whole field (any case) instead of a part of it. */
  exact?: boolean;
  approvalStatus?: ApprovalStatus;
  isLocked?: boolean;
  signUpStatus?: SignUpStatus;
  /** From 1. */
  page?: number;
  /** Default 50, at most 500. */
  pageSize?: number;
}

export interface UserSearchPage extends UserPage {
  numPages: number;
  hasNextPage: boolean;
  hasPrevPage: boolean;
}
