import { CALLER_CTE, callerSelect } from '../sessions/session-sql';

/**
 * Every attribute statement, built once per owner kind and access mode. Each is a single statement:
 * it resolves the owner (and, for REST calls, the caller's UST) and does its work in one round trip,
 * whatever the number of items. Batches arrive as parallel arrays and are expanded with `unnest`.
 *
 * Every statement answers at least one row: `authed` (the UST named a live session), `owner_id` and
 * `allowed` (the owner exists, is live, and the caller may use it), then the attribute columns, NULL
 * when nothing matched. A batch that cannot complete calls `tessera_fail`, which aborts the whole
 * statement, so nothing it wrote remains.
 */
export type OwnerKind = 'session' | 'user';
/**
 * `caller`: a REST caller's UST and an owner id (or none: the caller's own); `caller_token`: a REST
 * caller's UST and the UST of the session acted on (Zato's `target_ust`; session attributes only);
 * `direct`: an owner id the calling code vouches for.
 */
export type AccessMode = 'caller' | 'caller_token' | 'direct';
export type AttrOp = 'create' | 'set' | 'update' | 'updateEach' | 'read' | 'probe' | 'list' | 'delete' | 'deleteEach';

/**
 * Operations that exist only as batches: `list` takes no items; `updateEach` and `deleteEach` are
 * `update` and `delete` without the all-or-nothing check, for writes of several callers merged into
 * one statement (attr-call-groups.ts), where each item succeeds or fails on its own.
 */
export const BATCH_ONLY_OPS: ReadonlySet<AttrOp> = new Set(['list', 'updateEach', 'deleteEach']);

export const ATTR_TABLE: Record<OwnerKind, string> = { session: 'sso_session_attr', user: 'sso_user_attr' };

/** Parameters the owner part takes; the operation's own parameters follow them. */
export const OWNER_PARAMS: Record<AccessMode, number> = { caller: 4, caller_token: 4, direct: 1 };

/**
 * The owner a REST caller `c` names (`t`, a session, or `u`, a user) as `(id, live_until, allowed)`:
 * a session is usable by its own user or a super-user, a user by itself or a super-user, and the
 * caller's own session lives until the caller's slid expiry. One rule for every caller statement.
 */
const CALLER_OWNER_COLUMNS: Record<OwnerKind, string> = {
  session: `t.id, CASE WHEN t.id = c.id THEN c.expires_at ELSE t.expires_at END AS live_until,
           (t.user_id = c.user_id OR c.is_super_user) AS allowed`,
  user: `u.id, NULL::timestamptz AS live_until, (u.id = c.user_id OR c.is_super_user) AS allowed`,
};

/**
 * `owner(id, live_until, allowed)`. For REST calls ($1-$3: see CALLER_CTE; $4 owner id, NULL for
 * `current`/`me`) a session is usable by its own user or a super-user, a user by itself or a
 * super-user. In-process calls ($1 owner id) are trusted: the calling module decided already.
 * `live_until` caps a session attribute's expiry by its session's.
 */
function ownerCte(kind: OwnerKind, mode: AccessMode): string {
  if (mode !== 'direct') {
    if (kind === 'session') {
      // `caller`: $4 a session id (NULL: the caller's own); `caller_token`: $4 the hash of the UST of
      // the session acted on, so the owner is found by the hash, as the caller is, never by a raw token.
      const target = mode === 'caller' ? 't.id = COALESCE($4::uuid, c.id)' : 't.token_hash = $4::bytea';
      return `${CALLER_CTE},
  owner AS (
    SELECT ${CALLER_OWNER_COLUMNS.session}
    FROM caller c JOIN sso_session t ON ${target}
    WHERE t.expires_at > now()
  )`;
    }
    if (mode === 'caller_token') throw new Error('caller_token access names a session, not a user');
    return `${CALLER_CTE},
  owner AS (
    SELECT ${CALLER_OWNER_COLUMNS.user}
    FROM caller c JOIN sso_user u ON u.id = COALESCE($4::uuid, c.user_id)
  )`;
  }
  return kind === 'session'
    ? `owner AS (SELECT t.id, t.expires_at AS live_until, true AS allowed FROM sso_session t WHERE t.id = $1::uuid AND t.expires_at > now())`
    : `owner AS (SELECT u.id, NULL::timestamptz AS live_until, true AS allowed FROM sso_user u WHERE u.id = $1::uuid)`;
}

const LIVE = `(a.expires_at IS NULL OR a.expires_at > now())`;
const META_RETURNING = `a.name, NULL::text AS value, NULL::bytea AS sealed, a.key_id, a.sealed IS NOT NULL AS encrypted,
      a.created_at, a.updated_at, a.expires_at AS own_expires_at`;

/**
 * Locks the rows an update or delete will touch, in name order (byte order, as the service sorts
 * every batch), so that batches over overlapping names wait for each other instead of deadlocking.
 * Inserts already take their rows in that order: their input is sorted.
 */
function lockInOrder(table: string): string {
  return `locked AS (
    SELECT a.name FROM ${table} a CROSS JOIN owner o
    WHERE o.allowed AND a.owner_id = o.id AND a.name IN (SELECT name FROM input)
    ORDER BY a.name COLLATE "C"
    FOR UPDATE OF a
  )`;
}

/** Aborts the statement with `code` unless the write touched every input name. */
function everyName(code: string, countLive = 'count(*)') {
  return `CASE WHEN o.allowed AND (SELECT ${countLive} FROM w) <> (SELECT count(*) FROM input)
    THEN tessera_fail('${code}', (SELECT string_agg(i.name, ', ') FROM input i WHERE i.name NOT IN (SELECT w.name FROM w${
      countLive === 'count(*)' ? '' : ' WHERE w.live'
    })))
  END AS failed`;
}

/**
 * The `input` relation of an operation from its parameters: for a batch, parallel arrays expanded
 * with `unnest`; for a single item, the same columns from plain scalars (cheaper to send and plan).
 */
function input(p: (n: number) => string, single: boolean, columns: Array<[string, string]>): string {
  if (single) return `input AS (SELECT ${columns.map(([name, type], i) => `${p(i + 1)}::${type} AS ${name}`).join(', ')})`;
  return `input AS (
    SELECT * FROM unnest(${columns.map(([, type], i) => `${p(i + 1)}::${type}[]`).join(', ')})
      AS i(${columns.map(([name]) => name).join(', ')})
  )`;
}

/** The CTEs, the result relation and any check column of one operation; `p(n)` is its n-th parameter. */
function operation(op: AttrOp, table: string, p: (n: number) => string, single: boolean): { ctes: string; result: string; check?: string } {
  const write = (conflict: string) => ({
    ctes: `${input(p, single, [['name', 'text'], ['value', 'text'], ['sealed', 'bytea'], ['key_id', 'text'], ['expiration', 'int']])},
  w AS (
    INSERT INTO ${table} AS a (owner_id, name, value, sealed, key_id, created_at, updated_at, expires_at)
    SELECT o.id, i.name, i.value, i.sealed, i.key_id, now(), now(), now() + make_interval(secs => i.expiration)
    FROM owner o CROSS JOIN input i WHERE o.allowed
    ON CONFLICT (owner_id, name) DO UPDATE SET
      value = EXCLUDED.value, sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id,
      expires_at = EXCLUDED.expires_at, updated_at = now(),
      created_at = CASE WHEN ${LIVE} THEN a.created_at ELSE now() END
      ${conflict}
    RETURNING ${META_RETURNING}
  )`,
    result: 'w',
  });
  switch (op) {
    case 'create':
      // An expired row that the sweeper has not removed yet does not block a create.
      return { ...write(`WHERE a.expires_at IS NOT NULL AND a.expires_at <= now()`), check: everyName('attr_exists') };
    case 'set':
      return write('');
    case 'update':
    case 'updateEach':
      return {
        ctes: `${input(p, single, [
          ['name', 'text'], ['has_value', 'bool'], ['value', 'text'], ['sealed', 'bytea'], ['key_id', 'text'],
          ['keep_expiry', 'bool'], ['expiration', 'int'], ['expect_sealed', 'bool'], ['expect_updated', 'timestamptz'],
        ])},
  ${lockInOrder(table)},
  w AS (
    UPDATE ${table} AS a SET
      value = CASE WHEN i.has_value THEN i.value ELSE a.value END,
      sealed = CASE WHEN i.has_value THEN i.sealed ELSE a.sealed END,
      key_id = CASE WHEN i.has_value THEN i.key_id ELSE a.key_id END,
      expires_at = CASE WHEN i.keep_expiry THEN a.expires_at ELSE now() + make_interval(secs => i.expiration) END,
      updated_at = now()
    FROM owner o CROSS JOIN input i CROSS JOIN locked l
    WHERE o.allowed AND a.owner_id = o.id AND a.name = i.name AND l.name = a.name AND ${LIVE}
      -- an update that keeps the stored form applies only if the form is still the one read
      AND (i.expect_sealed IS NULL OR (a.sealed IS NOT NULL) = i.expect_sealed)
      -- a re-seal in place applies only to the version it read (timestamps travel in milliseconds)
      AND (i.expect_updated IS NULL OR date_trunc('milliseconds', a.updated_at) = i.expect_updated)
    RETURNING ${META_RETURNING}
  )`,
        result: 'w',
        check: op === 'update' ? everyName('attr_not_found') : undefined,
      };
    case 'delete':
    case 'deleteEach':
      return {
        ctes: `${input(p, single, [['name', 'text']])},
  ${lockInOrder(table)},
  w AS (
    DELETE FROM ${table} AS a USING owner o, locked l
    WHERE o.allowed AND a.owner_id = o.id AND a.name = l.name
    RETURNING ${META_RETURNING}, ${LIVE} AS live
  )`,
        result: '(SELECT * FROM w WHERE w.live)',
        check: op === 'delete' ? everyName('attr_not_found', 'count(*) FILTER (WHERE live)') : undefined,
      };
    case 'read':
    case 'probe':
    case 'list': {
      const values = op === 'read' ? 'a.value, a.sealed' : 'NULL::text AS value, NULL::bytea AS sealed';
      const which = op === 'list' ? '' : single ? `AND a.name = ${p(1)}::text` : `AND a.name = ANY(${p(1)}::text[])`;
      return {
        ctes: '',
        result: `LATERAL (
    SELECT a.name, ${values}, a.key_id, a.sealed IS NOT NULL AS encrypted, a.created_at, a.updated_at,
           a.expires_at AS own_expires_at
    FROM ${table} a WHERE o.allowed AND a.owner_id = o.id ${which} AND ${LIVE}
    ORDER BY a.name
  )`,
      };
    }
  }
}

/** The statement of `op`; `single`: for exactly one item, its parameters scalars instead of arrays. */
export function buildAttrStatement(kind: OwnerKind, mode: AccessMode, op: AttrOp, single = false): { name: string; text: string } {
  const base = OWNER_PARAMS[mode];
  const { ctes, result, check } = operation(op, ATTR_TABLE[kind], (n) => `$${base + n}`, single && !BATCH_ONLY_OPS.has(op));
  const caller = mode !== 'direct';
  const text = `WITH ${ownerCte(kind, mode)}${ctes ? `,\n  ${ctes}` : ''}
SELECT ${caller ? 'c.id IS NOT NULL' : 'true'} AS authed, ${caller ? 'c.id' : 'NULL::uuid'} AS caller_session_id,
       ${caller ? 'c.is_super_user' : 'true'} AS caller_is_super, ${caller ? 'c.touch_due' : 'false'} AS touch_due,
       ${caller ? 'c.expires_at' : 'NULL::timestamptz'} AS caller_expires_at,
       o.id AS owner_id, o.allowed, r.name, r.value, r.sealed, r.key_id, r.encrypted, r.created_at, r.updated_at,
       LEAST(r.own_expires_at, o.live_until) AS expires_at${check ? `,\n       ${check}` : ''}
FROM (SELECT 1) one
${caller ? 'LEFT JOIN caller c ON true\n' : ''}LEFT JOIN owner o ON true
LEFT JOIN ${result} r ON true`;
  return { name: `attr_${kind}_${mode}_${op}${single && !BATCH_ONLY_OPS.has(op) ? '_1' : ''}`, text };
}

/**
 * One read for the single gets of many REST callers at once (attr.service.ts groups them across
 * owners): $1 the callers' UST hashes, $2 the owners they name (NULL: their own), $3 the names, one
 * element per get; $4 idle timeout, $5 touch interval (as CALLER_CTE). Every get is resolved,
 * checked and read on its own, as the one-caller `read` statement does it, and answers one row in
 * the order given, with the same columns as that statement's head row.
 */
export function buildCallerReadMany(kind: OwnerKind): { name: string; text: string } {
  const table = ATTR_TABLE[kind];
  const owner =
    kind === 'session'
      ? `SELECT ${CALLER_OWNER_COLUMNS.session}
    FROM sso_session t WHERE t.id = COALESCE(i.owner_id, c.id) AND t.expires_at > now()`
      : `SELECT ${CALLER_OWNER_COLUMNS.user}
    FROM sso_user u WHERE u.id = COALESCE(i.owner_id, c.user_id)`;
  const text = `SELECT c.id IS NOT NULL AS authed, c.id AS caller_session_id, c.is_super_user AS caller_is_super,
       c.touch_due AS touch_due, c.expires_at AS caller_expires_at,
       o.id AS owner_id, o.allowed, r.name, r.value, r.sealed, r.key_id, r.encrypted, r.created_at, r.updated_at,
       LEAST(r.own_expires_at, o.live_until) AS expires_at
FROM unnest($1::bytea[], $2::uuid[], $3::text[]) WITH ORDINALITY AS i(token_hash, owner_id, name, ord)
LEFT JOIN LATERAL (${callerSelect('i.token_hash', '$4', '$5')}
) c ON true
LEFT JOIN LATERAL (
    ${owner}
) o ON c.id IS NOT NULL
LEFT JOIN LATERAL (
    SELECT a.name, a.value, a.sealed, a.key_id, a.sealed IS NOT NULL AS encrypted, a.created_at, a.updated_at,
           a.expires_at AS own_expires_at
    FROM ${table} a WHERE o.allowed AND a.owner_id = o.id AND a.name = i.name AND ${LIVE}
) r ON true
ORDER BY i.ord`;
  return { name: `attr_${kind}_callers_read`, text };
}
