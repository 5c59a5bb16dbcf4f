import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CSRF_HEADER, mountTesseraPages, ServiceConfig } from '../index';

/**
 * What browsers need of the service: parsed cookies (the session cookie), CORS with credentials for
 * the allowed origins only, and the login and account pages unless `PAGES=false`.
 */
export async function registerBrowserSupport(app: NestFastifyApplication, config: ServiceConfig): Promise<void> {
  await app.register(fastifyCookie);
  if (config.allowedOrigins.length) {
    await app.register(fastifyCors, {
      origin: config.allowedOrigins,
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-current-app', CSRF_HEADER],
      exposedHeaders: ['retry-after'],
      maxAge: 600,
    });
  }
  if (config.pages) await mountTesseraPages(app);
}
