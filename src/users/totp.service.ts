import { Inject, Injectable, Logger } from '@nestjs/common';
import { createGuardrails, generateSecret, generateSync, generateURI, verifySync } from 'otplib';
import { AuditContext } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { Errors, TesseraError } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { AttrCipher } from '../crypto/attr-cipher.service';
import { openValue, sealValue, totpAssociatedData } from '../crypto/sealing';
import { Db } from '../database/db';
import { checkText } from './users.service';

/** What enabling TOTP answers, once: the base32 key and an `otpauth://` URI for authenticator apps. */
export interface TotpEnrollment {
  key: string;
  uri: string;
}

/**
 * RFC 4648 base32 of at least 10 bytes (80 bits, 16 characters), as authenticator apps show it.
 * Keys Tessera generates have 20 bytes; a key set from outside may be as short as the 80-bit keys
 * that older authenticators and Zato's deployments used (Zato's own test key is one), so that those
 * users move over without enrolling again. otplib's default minimum is 16 bytes: its guardrail is
 * lowered to match.
 */
const BASE32_KEY = /^[A-Z2-7]{16,128}$/;
const GUARDRAILS = createGuardrails({ MIN_SECRET_BYTES: 10 });
const ISSUER = 'Tessera';
/** Codes of the previous and the next 30-second step are accepted too (clock drift). */
const TOLERANCE_SECONDS = 30;
const MAX_LABEL_LENGTH = 256;

const SQL = {
  upsert: `
    INSERT INTO sso_user_totp (user_id, secret_sealed, key_id, label) SELECT u.id, $2, $3, $4 FROM sso_user u WHERE u.id = $1
    ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, key_id = EXCLUDED.key_id,
                                        label = EXCLUDED.label, last_step = NULL, created_at = now()
    RETURNING (SELECT username FROM sso_user WHERE id = $1) AS username`,
  delete: `DELETE FROM sso_user_totp WHERE user_id = $1`,
  userExists: `SELECT 1 FROM sso_user WHERE id = $1`,
  secret: `SELECT secret_sealed AS "sealed", key_id AS "keyId" FROM sso_user_totp WHERE user_id = $1`,
  label: `SELECT label FROM sso_user_totp WHERE user_id = $1`,
  // Only a step newer than the last accepted one takes its place: of two logins with the same code,
  // one updates the row and the other finds nothing to update, so a code works once.
  acceptStep: `UPDATE sso_user_totp SET last_step = $2 WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)`,
};

/**
 * Per-user TOTP (RFC 6238 through otplib): the secret is sealed with the attribute key ring and bound
 * to the user id, so neither a database dump nor a row copied to another user yields a usable key.
 */
@Injectable()
export class TotpService {
  private readonly logger = new Logger('TotpService');

  constructor(
    private readonly db: Db,
    private readonly cipher: AttrCipher,
    private readonly audit: AuditService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  /**
   * Checks a key and label `enable` would take, before a caller that writes other things first
   * (Zato's user create) writes anything; answers the normalised key, if one was given.
   */
  checkEnrollment(key: string | undefined, label: string | null): string | undefined {
    if (label !== null) {
      if (label.length > MAX_LABEL_LENGTH) throw Errors.validation(`label must be at most ${MAX_LABEL_LENGTH} characters`);
      checkText({ label });
    }
    return key === undefined ? undefined : normalizeKey(key);
  }

  /**
   * Turns TOTP on with `key` (base32; spaces and padding ignored) or a generated one; answers it once.
   * `label` names the key in authenticator apps (Zato's `totp_label`); default: the username.
   */
  async enable(userId: string, key: string | undefined, context: AuditContext = {}, label: string | null = null): Promise<TotpEnrollment> {
    const secret = this.checkEnrollment(key, label) ?? generateSecret();
    const { id: keyId, key: sealingKey } = this.cipher.ring.current;
    const sealed = sealValue(sealingKey, Buffer.from(secret, 'utf8'), totpAssociatedData(userId));
    const rows = await this.db.query<{ username: string }>('totp_upsert', SQL.upsert, [userId, sealed, keyId, label]);
    if (rows.length === 0) throw Errors.userNotFound();
    await this.audit.record({ type: 'totp_enabled', userId }, context);
    return { key: secret, uri: generateURI({ issuer: ISSUER, label: label ?? rows[0].username, secret }) };
  }

  /** Turns TOTP off (doing so when it is off is no error). */
  async disable(userId: string, context: AuditContext = {}): Promise<void> {
    const removed = await this.db.execute('totp_delete', SQL.delete, [userId]);
    if (removed === 0 && (await this.db.query('user_exists', SQL.userExists, [userId])).length === 0) throw Errors.userNotFound();
    if (removed > 0) await this.audit.record({ type: 'totp_disabled', userId }, context);
  }

  async isEnabled(userId: string): Promise<boolean> {
    return (await this.status(userId)).enabled;
  }

  /** Whether TOTP is on, and the label its key was given; one lookup, no secret read. */
  async status(userId: string): Promise<{ enabled: boolean; label: string | null }> {
    const [row] = await this.db.query<{ label: string | null }>('totp_label', SQL.label, [userId]);
    return { enabled: row !== undefined, label: row?.label ?? null };
  }

  /**
   * At login: `off` when the user has no TOTP, `missing` without a code, `wrong` for a code that does
   * not match (or was used already, with replay protection on), `ok` otherwise.
   */
  async check(userId: string, code: string | undefined): Promise<'off' | 'missing' | 'wrong' | 'ok'> {
    const [row] = await this.db.query<{ sealed: Buffer; keyId: string }>('totp_secret', SQL.secret, [userId]);
    if (!row) return 'off';
    if (code === undefined || code === '') return 'missing';
    if (!/^\d{6}$/.test(code)) return 'wrong';
    const secret = this.open(userId, row.sealed, row.keyId);
    const result = verifySync({ secret, token: code, epochTolerance: TOLERANCE_SECONDS, guardrails: GUARDRAILS });
    if (!result.valid) return 'wrong';
    // A TOTP verification's result carries the time step the code matched (otplib types it as a union with HOTP's).
    const { timeStep } = result as { timeStep: number };
    if (!this.config.totpReplayProtection) return 'ok';
    return (await this.db.execute('totp_accept_step', SQL.acceptStep, [userId, timeStep])) === 1 ? 'ok' : 'wrong';
  }

  /**
   * Re-seals secrets sealed under older keys with the newest key (part of `rotate-keys`), in batches
   * that each lock their rows; a secret that does not open is counted as failed and left as it is.
   */
  async rotateKeys(batchSize = 500): Promise<{ rotated: number; failed: number; remaining: number }> {
    const current = this.cipher.ring.current;
    const report = { rotated: 0, failed: 0, remaining: 0 };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const last = await this.db.transaction(async (query) => {
        const rows = await query<{ userId: string; sealed: Buffer; keyId: string }>(
          `SELECT user_id AS "userId", secret_sealed AS sealed, key_id AS "keyId" FROM sso_user_totp
           WHERE key_id <> $1 AND user_id > $2::uuid ORDER BY user_id LIMIT $3 FOR UPDATE SKIP LOCKED`,
          [current.id, after, batchSize],
        );
        for (const row of rows) {
          let secret: string;
          try {
            secret = this.open(row.userId, row.sealed, row.keyId);
          } catch {
            report.failed++;
            continue;
          }
          const sealed = sealValue(current.key, Buffer.from(secret, 'utf8'), totpAssociatedData(row.userId));
          await query('UPDATE sso_user_totp SET secret_sealed = $2, key_id = $3 WHERE user_id = $1', [row.userId, sealed, current.id]);
          report.rotated++;
        }
        return rows.length < batchSize ? undefined : rows[rows.length - 1].userId;
      });
      if (!last) break;
      after = last;
    }
    const [{ count }] = await this.db.query<{ count: string }>('totp_rotation_left', 'SELECT count(*) FROM sso_user_totp WHERE key_id <> $1', [current.id]);
    report.remaining = Number(count);
    return report;
  }

  /** A secret that does not open (altered, copied from another user, key gone) is a server-side fault. */
  private open(userId: string, sealed: Buffer, keyId: string): string {
    const key = this.cipher.ring.byId.get(keyId);
    try {
      if (!key) throw new Error('unknown key id');
      return openValue(key, sealed, totpAssociatedData(userId)).toString('utf8');
    } catch {
      this.logger.error(`the TOTP secret of user ${userId} does not decrypt with key "${keyId}"`);
      throw new TesseraError('internal_error', 'a stored TOTP secret failed to decrypt');
    }
  }
}

function normalizeKey(key: string): string {
  const secret = key.replace(/[\s=]/g, '').toUpperCase();
  if (!BASE32_KEY.test(secret)) throw Errors.validation('key must be base32 (A-Z, 2-7) of at least 10 bytes (16 characters)');
  try {
    generateSync({ secret, guardrails: GUARDRAILS });
  } catch {
    throw Errors.validation('key is not a usable TOTP key');
  }
  return secret;
}
