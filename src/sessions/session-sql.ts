import { selectColumns } from '../database/columns';
import { SessionEntity } from './session.entity';

/**
 * The statement fragment that turns a UST hash into the calling session, in the same round trip as
 * the work that follows it. Parameters: $1 token hash, $2 idle timeout (s), $3 touch interval (s).
 *
 * A session is live while its idle expiry is ahead and its user is neither locked nor unapproved, so
 * locking or deleting a user stops its sessions at once. Using a session slides its idle expiry
 * forward (never past the absolute cap), but the statement itself only reads: it reports the slid
 * expiry and `touch_due` when the stored one is more than the touch interval behind, and the caller
 * then writes it (SessionsService.touch), at most once per interval.
 */
export const CALLER_CTE = `
  caller AS (${callerSelect('$1', '$2', '$3')}
  )`;

/** The calling session of the UST hash `tokenHash` (an expression), as CALLER_CTE selects it. */
export function callerSelect(tokenHash: string, idleTimeout: string, touchInterval: string): string {
  return `
    SELECT s.id, s.user_id, u.is_super_user, s.absolute_expires_at,
           s.expires_at < LEAST(now() + make_interval(secs => ${idleTimeout}::int - ${touchInterval}::int), s.absolute_expires_at) AS touch_due,
           CASE WHEN s.expires_at < LEAST(now() + make_interval(secs => ${idleTimeout}::int - ${touchInterval}::int), s.absolute_expires_at)
                THEN LEAST(now() + make_interval(secs => ${idleTimeout}::int), s.absolute_expires_at)
                ELSE s.expires_at END AS expires_at
    FROM sso_session s JOIN sso_user u ON u.id = s.user_id
    WHERE s.token_hash = ${tokenHash} AND s.expires_at > now()
      AND NOT u.is_locked AND u.approval_status = 'approved'`;
}

/** A session's columns as `SessionView` names them (never the token hash). */
export const SESSION_COLUMNS = selectColumns(SessionEntity, 's', ['tokenHash']);
