import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from './migrations';
import { loadConfig, loadDotEnv } from './src/config/env';
import { MIGRATIONS_TABLE } from './src/database/migrate';
import { SessionEntity } from './src/sessions/session.entity';
import { UserEntity } from './src/users/user.entity';

// The DataSource the TypeORM CLI uses (`npm run typeorm -- migration:show`). It needs DATABASE_URL;
// `npm run migration:run` also works without it, on the embedded server.
loadDotEnv();
const config = loadConfig();
if (!config.databaseUrl) throw new Error('ormconfig.ts needs DATABASE_URL (npm run migration:run works without it)');

export default new DataSource({
  type: 'postgres',
  url: config.databaseUrl,
  entities: [UserEntity, SessionEntity],
  migrations,
  migrationsTableName: MIGRATIONS_TABLE,
  synchronize: false,
  logging: false,
});
