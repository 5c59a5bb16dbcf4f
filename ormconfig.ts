import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig, loadDotEnv } from './src/config/config';
import { dataSourceOptions } from './src/database/data-source-options';

// The DataSource the TypeORM CLI uses (`npm run typeorm -- migration:show`). It needs DATABASE_URL;
// `npm run migration:run` also works without it, on the embedded server.
loadDotEnv();
const config = loadConfig();
if (!config.databaseUrl) throw new Error('ormconfig.ts needs DATABASE_URL (npm run migration:run works without it)');

export default new DataSource(dataSourceOptions(config.databaseUrl));
