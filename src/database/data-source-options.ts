import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { SessionEntity } from '../sessions/session.entity';
import { UserEntity } from '../users/user.entity';

export const entities = [UserEntity, SessionEntity];

/** One place for the TypeORM options the app, the CLI, the tests and `ormconfig.ts` share. */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'tessera_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    // SQL logging would print query parameters, which carry attribute values and token hashes.
    logging: false,
    // Every statement of the hot path looks rows up by key: a generic plan is always right for it,
    // and forcing it spares the five custom plannings PostgreSQL would otherwise do per connection.
    extra: { max: poolSize, application_name: 'tessera', options: '-c plan_cache_mode=force_generic_plan' },
  };
}
