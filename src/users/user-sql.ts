export const USER_COLUMNS = `u.id, u.username, u.email, u.display_name AS "displayName",
  u.is_super_user AS "isSuperUser", u.is_locked AS "isLocked", u.approval_status AS "approvalStatus",
  u.password_last_set AS "passwordLastSet", u.password_expires_at AS "passwordExpiresAt",
  u.password_must_change AS "passwordMustChange", u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;
