import { Injectable, Logger } from '@nestjs/common';
import { AttrCipher } from '../crypto/attr-cipher.service';
import { Db } from '../database/db';
import { TotpService } from '../users/totp.service';
import { ATTR_TABLE, OwnerKind } from './attr-sql';

export interface RotationReport {
  /** Values now sealed with the newest key. */
  rotated: number;
  /** Values that did not open (unknown key id, or altered); they keep their old sealing. */
  failed: number;
  /** Values still under an older key afterwards (failed ones, or rows locked by a writer meanwhile). */
  remaining: number;
}

/**
 * Re-seals attribute values (and TOTP secrets) written under older keys with the newest key of `ENCRYPTION_KEYS`, in
 * batches: each batch is one transaction that locks its rows (skipping rows a writer holds), so the
 * service can keep running. Rows are walked in key order, so a row that fails is passed, not retried.
 */
@Injectable()
export class KeyRotationService {
  private readonly logger = new Logger('KeyRotation');

  constructor(
    private readonly db: Db,
    private readonly cipher: AttrCipher,
    private readonly totp: TotpService,
  ) {}

  async rotate(batchSize = 500): Promise<RotationReport> {
    const report: RotationReport = { rotated: 0, failed: 0, remaining: 0 };
    for (const kind of Object.keys(ATTR_TABLE) as OwnerKind[]) {
      await this.rotateTable(kind, batchSize, report);
    }
    // TOTP secrets are sealed with the same ring: a key is retired only when none of them needs it either.
    const totp = await this.totp.rotateKeys(batchSize);
    report.rotated += totp.rotated;
    report.failed += totp.failed;
    report.remaining += totp.remaining;
    this.logger.log(`TOTP secrets: ${totp.rotated} re-sealed, ${totp.remaining} left under older keys`);
    return report;
  }

  private async rotateTable(kind: OwnerKind, batchSize: number, report: RotationReport) {
    const table = ATTR_TABLE[kind];
    const current = this.cipher.ring.current.id;
    let after: [string, string] = ['00000000-0000-0000-0000-000000000000', ''];
    for (;;) {
      const last = await this.db.transaction(async (query) => {
        const rows = await query<{ owner_id: string; name: string; sealed: Buffer; key_id: string }>(
          `SELECT owner_id, name, sealed, key_id FROM ${table}
           WHERE key_id IS NOT NULL AND key_id <> $1 AND (owner_id, name) > ($2::uuid, $3::text)
           ORDER BY owner_id, name LIMIT $4 FOR UPDATE SKIP LOCKED`,
          [current, after[0], after[1], batchSize],
        );
        const owners: string[] = [], names: string[] = [], sealed: Buffer[] = [];
        for (const row of rows) {
          try {
            const json = this.cipher.open(kind, row.owner_id, row.name, row.sealed, row.key_id);
            owners.push(row.owner_id);
            names.push(row.name);
            sealed.push(this.cipher.seal(kind, row.owner_id, row.name, json).sealed);
          } catch {
            report.failed++;
          }
        }
        if (owners.length) {
          await query(
            `UPDATE ${table} a SET sealed = u.sealed, key_id = $4
             FROM unnest($1::uuid[], $2::text[], $3::bytea[]) AS u(owner_id, name, sealed)
             WHERE a.owner_id = u.owner_id AND a.name = u.name`,
            [owners, names, sealed, current],
          );
          report.rotated += owners.length;
        }
        const tail = rows[rows.length - 1];
        return rows.length < batchSize || !tail ? undefined : ([tail.owner_id, tail.name] as [string, string]);
      });
      if (!last) break;
      after = last;
    }
    const [{ count }] = await this.db.query<{ count: string }>(
      `attr_rotation_left_${kind}`,
      `SELECT count(*) FROM ${table} WHERE key_id IS NOT NULL AND key_id <> $1`,
      [current],
    );
    report.remaining += Number(count);
    this.logger.log(`${kind} attributes: ${report.rotated} re-sealed so far, ${count} left under older keys`);
  }
}
