import { MigrationInterface, QueryRunner } from 'typeorm';

export class UsersAndSessions1763770000000 implements MigrationInterface {
  name = 'UsersAndSessions1763770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sso_user (
        id uuid PRIMARY KEY,
        username text NOT NULL,
        password_hash text NOT NULL,
        email text,
        display_name text,
        is_super_user boolean NOT NULL DEFAULT false,
        is_locked boolean NOT NULL DEFAULT false,
        approval_status text NOT NULL DEFAULT 'approved'
          CHECK (approval_status IN ('approved', 'pending', 'rejected')),
        password_last_set timestamptz NOT NULL DEFAULT now(),
        password_expires_at timestamptz,
        password_must_change boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX sso_user_username_uq ON sso_user (lower(username))`);
    await q.query(`
      CREATE TABLE sso_session (
        id uuid PRIMARY KEY,
        token_hash bytea NOT NULL,
        user_id uuid NOT NULL REFERENCES sso_user (id) ON DELETE CASCADE,
        current_app text NOT NULL,
        remote_addr text,
        user_agent text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        CHECK (expires_at <= absolute_expires_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX sso_session_token_hash_uq ON sso_session (token_hash)`);
    await q.query(`CREATE INDEX sso_session_user_idx ON sso_session (user_id)`);
    await q.query(`CREATE INDEX sso_session_expires_idx ON sso_session (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sso_session`);
    await q.query(`DROP TABLE sso_user`);
  }
}
