import 'reflect-metadata';
import { createExpressHost } from './app';

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL to a postgres:// URL');
  const app = await createExpressHost(databaseUrl, {
    tessera: { apps: (process.env.SSO_APPS ?? 'shop').split(','), migrationsRun: true },
  });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`host-express listening on http://127.0.0.1:${port}\n`);
}

main().catch((error) => {
  process.stderr.write(`host-express: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
