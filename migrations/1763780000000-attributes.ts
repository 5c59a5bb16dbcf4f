import { MigrationInterface, QueryRunner } from 'typeorm';

const OWNERS = [
  ['sso_session_attr', 'sso_session'],
  ['sso_user_attr', 'sso_user'],
] as const;

export class Attributes1763780000000 implements MigrationInterface {
  name = 'Attributes1763780000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, owner] of OWNERS) {
      // value holds the JSON text of a plain value; sealed/key_id an encrypted one. Never both.
      await q.query(`
        CREATE TABLE ${table} (
          owner_id uuid NOT NULL REFERENCES ${owner} (id) ON DELETE CASCADE,
          name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
          value text,
          sealed bytea,
          key_id text,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz,
          PRIMARY KEY (owner_id, name),
          CHECK ((value IS NULL) <> (sealed IS NULL)),
          CHECK ((sealed IS NULL) = (key_id IS NULL))
        )`);
      await q.query(`CREATE INDEX ${table}_expires_idx ON ${table} (expires_at) WHERE expires_at IS NOT NULL`);
      await q.query(`CREATE INDEX ${table}_key_idx ON ${table} (key_id) WHERE key_id IS NOT NULL`);
    }
    // Lets one statement abort itself (and so roll back everything it wrote) when a batch check
    // fails: the message is a stable error code, the detail the names concerned.
    await q.query(`
      CREATE FUNCTION tessera_fail(code text, detail text) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = code, DETAIL = coalesce(detail, '');
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tessera_fail(text, text)`);
    for (const [table] of OWNERS) await q.query(`DROP TABLE ${table}`);
  }
}
