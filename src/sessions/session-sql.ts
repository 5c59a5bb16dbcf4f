/**
 * The statement fragment that turns a UST hash into the calling session, in the same round trip as
 * the work that follows it. Parameters: $1 token hash, $2 idle timeout (s), $3 touch interval (s).
 *
 * A session is live while its idle expiry is ahead and its user is neither locked nor unapproved, so
 * locking or deleting a user stops its sessions at once. The idle expiry slides forward (never past
 * the absolute cap) only when it is more than the touch interval behind: most reads write nothing.
 * The re-check on `t.expires_at` keeps concurrent requests from all writing the same slide.
 */
export const CALLER_CTE = `
  found AS (
    SELECT s.id, s.user_id, u.is_super_user, s.expires_at, s.absolute_expires_at
    FROM sso_session s JOIN sso_user u ON u.id = s.user_id
    WHERE s.token_hash = $1 AND s.expires_at > now()
      AND NOT u.is_locked AND u.approval_status = 'approved'
  ),
  touched AS (
    UPDATE sso_session t
    SET expires_at = LEAST(now() + make_interval(secs => $2::int), t.absolute_expires_at)
    FROM found f
    WHERE t.id = f.id
      AND t.expires_at < LEAST(now() + make_interval(secs => $2::int - $3::int), t.absolute_expires_at)
    RETURNING t.id, t.expires_at
  ),
  caller AS (
    SELECT f.id, f.user_id, f.is_super_user, COALESCE(t.expires_at, f.expires_at) AS expires_at,
           f.absolute_expires_at
    FROM found f LEFT JOIN touched t ON t.id = f.id
  )`;

export const SESSION_COLUMNS = `s.id, s.user_id AS "userId", s.current_app AS "currentApp",
  s.remote_addr AS "remoteAddr", s.user_agent AS "userAgent", s.created_at AS "createdAt",
  s.expires_at AS "expiresAt", s.absolute_expires_at AS "absoluteExpiresAt"`;
