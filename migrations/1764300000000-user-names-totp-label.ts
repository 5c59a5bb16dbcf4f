import { MigrationInterface, QueryRunner } from 'typeorm';

/** Zato's name fields of a user, and the label an authenticator app shows for a TOTP key. */
export class UserNamesTotpLabel1764300000000 implements MigrationInterface {
  name = 'UserNamesTotpLabel1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE sso_user
        ADD COLUMN first_name text,
        ADD COLUMN middle_name text,
        ADD COLUMN last_name text`);
    await q.query(`ALTER TABLE sso_user_totp ADD COLUMN label text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sso_user_totp DROP COLUMN label`);
    await q.query(`ALTER TABLE sso_user DROP COLUMN first_name, DROP COLUMN middle_name, DROP COLUMN last_name`);
  }
}
