import { MigrationInterface, QueryRunner } from 'typeorm';

export class LoginLimitsAndAudit1764000000000 implements MigrationInterface {
  name = 'LoginLimitsAndAudit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // Failed-login counters shared by every instance, one row per key ('account:<lower username>',
    // 'address:<ip>'). `strikes` counts the blocks so far, so each further block lasts longer; the
    // row is forgotten (and swept) a failure window after its last failure or block.
    await q.query(`
      CREATE TABLE sso_login_limit (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        strikes integer NOT NULL DEFAULT 0,
        blocked_until timestamptz,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX sso_login_limit_expires_idx ON sso_login_limit (expires_at)`);

    // Security events. No foreign keys: an event outlives the user or session it names. Never a
    // value, UST, password or token hash.
    await q.query(`
      CREATE TABLE sso_audit_event (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        type text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
        reason text,
        user_id uuid,
        username text,
        app text,
        remote_addr text,
        actor_id uuid,
        session_id uuid,
        changed text[]
      )`);
    await q.query(`CREATE INDEX sso_audit_event_time_idx ON sso_audit_event (occurred_at, id)`);
    await q.query(`CREATE INDEX sso_audit_event_user_idx ON sso_audit_event (user_id, occurred_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sso_audit_event`);
    await q.query(`DROP TABLE sso_login_limit`);
  }
}
