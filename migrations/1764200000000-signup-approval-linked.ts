import { MigrationInterface, QueryRunner } from 'typeorm';

export class SignupApprovalLinked1764200000000 implements MigrationInterface {
  name = 'SignupApprovalLinked1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // Existing users are final and keep their approval; who approved them is not known (NULL).
    await q.query(`
      ALTER TABLE sso_user
        ADD COLUMN sign_up_status text NOT NULL DEFAULT 'final' CHECK (sign_up_status IN ('before_confirmation', 'final')),
        ADD COLUMN approval_status_mod_by text,
        ADD COLUMN approval_status_mod_time timestamptz`);

    // One confirmation token per sign-up, stored as SHA-256 only. The row stays after confirmation
    // (confirmed_at set) so a second use is told apart from a token that never existed.
    await q.query(`
      CREATE TABLE sso_signup_token (
        token_hash bytea PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES sso_user (id) ON DELETE CASCADE,
        app text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        confirmed_at timestamptz
      )`);
    await q.query(`CREATE INDEX sso_signup_token_user_idx ON sso_signup_token (user_id)`);
    await q.query(`CREATE INDEX sso_signup_token_expires_idx ON sso_signup_token (expires_at)`);

    // External identities linked to a user (Zato's linked auth records).
    await q.query(`
      CREATE TABLE sso_linked_auth (
        user_id uuid NOT NULL REFERENCES sso_user (id) ON DELETE CASCADE,
        auth_type text NOT NULL,
        auth_username text NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, auth_type, auth_username)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sso_linked_auth`);
    await q.query(`DROP TABLE sso_signup_token`);
    await q.query(`
      ALTER TABLE sso_user DROP COLUMN approval_status_mod_time, DROP COLUMN approval_status_mod_by, DROP COLUMN sign_up_status`);
  }
}
