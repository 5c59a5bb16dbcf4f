import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { Db } from '../database/db';

/** The counters one login attempt is held against: its account, and its client address when known. */
export interface LoginKeys {
  account: string;
  address: string | null;
}

const SQL = {
  // Seconds until the latest block of any of the keys ends; null when none is blocked.
  blocked: `
    SELECT ceil(extract(epoch FROM max(l.blocked_until) - now()))::int AS "retryAfter"
    FROM sso_login_limit l WHERE l.key = ANY($1::text[]) AND l.blocked_until > now()`,
  // Counts one failure against each key, atomically per key (concurrent failures on any instance
  // all count). The failure that reaches a key's maximum blocks it for $4 s × 2^strikes (at most
  // $5 s) and leaves it one failure short, so after the block one more attempt is allowed and its
  // failure blocks again, twice as long. A key blocked meanwhile (by an attempt admitted before the
  // block) is left as it is. A row whose window ($3 s after its last failure or block) has passed
  // starts over.
  failure: `
    WITH wanted AS (SELECT * FROM unnest($1::text[], $2::int[]) AS w(key, max_failures))
    INSERT INTO sso_login_limit AS l (key, failures, strikes, blocked_until, expires_at)
    SELECT w.key,
           CASE WHEN w.max_failures > 1 THEN 1 ELSE 0 END,
           CASE WHEN w.max_failures > 1 THEN 0 ELSE 1 END,
           CASE WHEN w.max_failures > 1 THEN NULL ELSE now() + make_interval(secs => $4::int) END,
           now() + make_interval(secs => $3::int + CASE WHEN w.max_failures > 1 THEN 0 ELSE $4::int END)
    FROM wanted w
    ON CONFLICT (key) DO UPDATE SET (failures, strikes, blocked_until, expires_at) = (
      SELECT CASE WHEN s.blocks THEN s.max_failures - 1 ELSE s.failures END,
             s.strikes + s.blocks::int,
             s.until,
             greatest(s.until, now()) + make_interval(secs => $3::int)
      FROM (
        SELECT c.*, CASE WHEN c.blocks
                         THEN now() + make_interval(secs => least($4::float8 * 2 ^ least(c.strikes, 30), $5::float8))
                    END AS until
        FROM (
          SELECT n.failures, n.strikes, w.max_failures, n.failures >= w.max_failures AS blocks
          FROM wanted w,
               LATERAL (SELECT CASE WHEN l.expires_at > now() THEN l.failures + 1 ELSE 1 END AS failures,
                               CASE WHEN l.expires_at > now() THEN l.strikes ELSE 0 END AS strikes) n
          WHERE w.key = l.key
        ) c
      ) s)
    WHERE l.blocked_until IS NULL OR l.blocked_until <= now()`,
  // A successful login forgets the account's failures and blocks (an address keeps its count: a
  // guesser who owns one account must not be able to wipe their address's record with it).
  success: `DELETE FROM sso_login_limit WHERE key = $1`,
  sweep: `
    DELETE FROM sso_login_limit WHERE key IN (
      SELECT key FROM sso_login_limit WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)`,
};

/**
 * The counter key of an account: a hash of the username as typed (any case), never the text. A
 * user who types a password into the username field must not leave it in the database.
 */
export function accountKey(username: string): string {
  return `account:${createHash('sha256').update(username.toLowerCase(), 'utf8').digest('base64url')}`;
}

/**
 * Limits on password guessing, shared by every instance through PostgreSQL: failed logins are
 * counted per account (username, any case) and per client address; past a maximum the key is
 * blocked for a while that doubles with each further block. A blocked attempt is refused before
 * its password is hashed. Besides, each account and address may hold only a few places in this
 * instance's password-hash queue at once, so a flood from one of them cannot crowd out everyone
 * else's logins. `loginLimits: false` turns all of it off.
 */
@Injectable()
export class LoginLimits {
  /** Logins per key waiting for, or running, a password hash on this instance. */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly db: Db,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  keysFor(username: string, remoteAddr: string | null): LoginKeys {
    return { account: accountKey(username), address: remoteAddr ? `address:${remoteAddr}` : null };
  }

  /** Seconds until the attempt may be made, when one of its keys is blocked; otherwise null. */
  async blockedFor(keys: LoginKeys): Promise<number | null> {
    if (!this.config.loginLimits) return null;
    return this.blockedKeys(list(keys));
  }

  private async blockedKeys(keys: string[]): Promise<number | null> {
    const [row] = await this.db.query<{ retryAfter: number | null }>('login_limit_blocked', SQL.blocked, [keys]);
    return row?.retryAfter ?? null;
  }

  /**
   * Runs `attempt` (check, password hash, count) holding one of this instance's places for the
   * account and one for the address; when either already holds its maximum, the attempt is refused
   * at once. This bounds what one account or address can take of the password-hash queue.
   */
  async withShare<T>(keys: LoginKeys, attempt: () => Promise<T>): Promise<T> {
    if (!this.config.loginLimits) return attempt();
    const held: Array<[string, number]> = [[keys.account, this.config.loginMaxPendingPerAccount]];
    if (keys.address) held.push([keys.address, this.config.loginMaxPendingPerAddress]);
    if (held.some(([key, max]) => (this.pending.get(key) ?? 0) >= max)) throw Errors.rateLimited();
    for (const [key] of held) this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    try {
      return await attempt();
    } finally {
      for (const [key] of held) {
        const left = (this.pending.get(key) ?? 1) - 1;
        if (left === 0) this.pending.delete(key);
        else this.pending.set(key, left);
      }
    }
  }

  /** Counts a failed login against the account and the address (the next attempt may be blocked). */
  async failed(keys: LoginKeys): Promise<void> {
    if (!this.config.loginLimits) return;
    const maxima = [this.config.loginMaxFailuresPerAccount];
    if (keys.address) maxima.push(this.config.loginMaxFailuresPerAddress);
    await this.countKeys(list(keys), maxima);
  }

  private async countKeys(keys: string[], maxima: number[]): Promise<void> {
    await this.db.execute('login_limit_failure', SQL.failure, [
      keys,
      maxima,
      this.config.loginFailureWindowSeconds,
      this.config.loginBlockSeconds,
      this.config.loginMaxBlockSeconds,
    ]);
  }

  /**
   * A request that costs something whether or not it succeeds: a password reset message to a
   * mailbox (counted per credential and per address), a sign-up (a user row and a password hash;
   * counted per address only, since every sign-up names a new user). Refused while one of its keys
   * is blocked, otherwise counted as a failed login would be, under keys of its own, so a flood is
   * blocked as a guesser is.
   */
  async countRequest(kind: 'password_reset' | 'signup', credential: string | null, remoteAddr: string | null): Promise<void> {
    if (!this.config.loginLimits) return;
    const counted: Array<[string, number]> = [];
    if (credential !== null) counted.push([`${kind}:${accountKey(credential)}`, this.config.loginMaxFailuresPerAccount]);
    if (remoteAddr) counted.push([`${kind}:address:${remoteAddr}`, this.config.loginMaxFailuresPerAddress]);
    if (counted.length === 0) return;
    const keys = counted.map(([key]) => key);
    const blockedFor = await this.blockedKeys(keys);
    if (blockedFor !== null) throw Errors.rateLimited(blockedFor);
    await this.countKeys(keys, counted.map(([, max]) => max));
  }

  /** A successful login: the account's failures and blocks are forgotten. */
  async succeeded(keys: LoginKeys): Promise<void> {
    if (!this.config.loginLimits) return;
    await this.db.execute('login_limit_success', SQL.success, [keys.account]);
  }

  /** Deletes up to `limit` forgotten counters; returns how many. */
  sweepExpired(limit: number): Promise<number> {
    return this.db.execute('login_limit_sweep', SQL.sweep, [limit]);
  }
}

function list(keys: LoginKeys): string[] {
  return keys.address ? [keys.account, keys.address] : [keys.account];
}
