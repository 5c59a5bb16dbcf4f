import { MigrationInterface, QueryRunner } from 'typeorm';

export class TotpAndPasswordReset1764100000000 implements MigrationInterface {
  name = 'TotpAndPasswordReset1764100000000';

  async up(q: QueryRunner): Promise<void> {
    // One row per user with TOTP on. The secret is sealed with the key ring (bound to the user id),
    // never stored in plaintext. `last_step` is the newest accepted time step: a code of that step or
    // an older one is refused again (replay protection).
    await q.query(`
      CREATE TABLE sso_user_totp (
        user_id uuid PRIMARY KEY REFERENCES sso_user (id) ON DELETE CASCADE,
        secret_sealed bytea NOT NULL,
        key_id text NOT NULL,
        last_step bigint,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Password reset: only SHA-256 of the token and of the reset key are stored. A row is deleted
    // when its reset completes (single use) and swept once expired.
    await q.query(`
      CREATE TABLE sso_password_reset (
        token_hash bytea PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES sso_user (id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        reset_key_hash bytea,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sso_password_reset_user_idx ON sso_password_reset (user_id)`);
    await q.query(`CREATE INDEX sso_password_reset_expires_idx ON sso_password_reset (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sso_password_reset`);
    await q.query(`DROP TABLE sso_user_totp`);
  }
}
