import 'reflect-metadata';
import { createFastifyHost } from './app';

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL to a postgres:// URL');
  const app = await createFastifyHost(databaseUrl, {
    tessera: { apps: (process.env.SSO_APPS ?? 'shop').split(','), migrationsRun: true },
  });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write(`host-fastify listening on http://127.0.0.1:${port}\n`);
}

main().catch((error) => {
  process.stderr.write(`host-fastify: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
