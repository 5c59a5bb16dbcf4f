import helmet from 'helmet';
import { DynamicModule, Type } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DestinationStream } from 'pino';
import {
  AppLogger,
  frameworkErrorBody,
  Readiness,
  mountOpenApi,
  registerRequestLogging,
  registerRequestMetrics,
  ServiceConfig,
  TesseraExceptionFilter,
  TesseraMetrics,
  TesseraModule,
  TesseraModuleExtras,
  tesseraOptions,
  TesseraValidationPipe,
} from '../index';
import { registerBrowserSupport } from './browser';
import { registerJsonBodies } from './json-bodies';

export interface CreateAppOptions {
  /** Where log lines go (stdout by default); tests capture them here to scan for secrets. */
  logDestination?: DestinationStream;
  /** Further modules of the application, mounted beside Tessera (they can inject its services). */
  imports?: Array<Type<unknown> | DynamicModule>;
  /** Observe every response in `tessera_http_request_duration_seconds` (default on; off only to measure its cost). */
  requestMetrics?: boolean;
  /** Delivers password reset tokens (TesseraModuleExtras.passwordResetNotifier). */
  passwordResetNotifier?: TesseraModuleExtras['passwordResetNotifier'];
}

/**
 * Replaces Fastify's default answer to a request the HTTP parser refused, which has its own body
 * shape. As there, a reset connection gets nothing and the socket is closed after the answer.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body = frameworkErrorBody(error);
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode]}\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy();
}

/** Builds the HTTP service (not yet listening): Tessera with its routes on Fastify. */
export async function createApp(config: ServiceConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = new AppLogger(config.logLevel, options.logDestination);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // HEAD routes are declared explicitly where the API has them (attribute exists).
    exposeHeadRoutes: false,
    // Attribute names (128 characters) travel URL-encoded in paths: up to 12 bytes a character.
    routerOptions: { maxParamLength: 2048 },
    frameworkErrors: (error: { code?: string }, _request: unknown, reply: FastifyReply) => {
      const body = frameworkErrorBody(error);
      reply.code(body.statusCode).send(body);
    },
    // Requests Node's HTTP parser refuses (headers over 16 KiB, malformed HTTP) answer in Tessera's shape too.
    clientErrorHandler: answerClientError,
    trustProxy: config.trustProxy,
    // On close: idle keep-alive connections end at once, requests arriving on busy ones get 503,
    // and the close waits for requests in flight (the service's SIGTERM drain, main.ts).
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  registerJsonBodies(adapter.getInstance(), config.bodyLimitBytes, config.zatoCompat);
  const root: DynamicModule = {
    module: class TesseraService {},
    imports: [TesseraModule.forRoot({
      ...tesseraOptions(config), routes: true, zatoCompat: config.zatoCompat, passwordResetNotifier: options.passwordResetNotifier,
    }), ...(options.imports ?? [])],
  };
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger,
    bufferLogs: false,
    // Only JSON bodies (registerJsonBodies); Nest would otherwise add a form-encoded parser.
    bodyParser: false,
    // Let start-up errors reach the caller (one clear line), instead of Nest exiting the process.
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerRequestLogging(fastify, logger.pino);
  if (options.requestMetrics !== false) registerRequestMetrics(fastify, app.get(TesseraMetrics));
  await registerResponseHeaders(app);
  await registerBrowserSupport(app, config);
  if (config.openapi) mountOpenApi(app);
  // For modules mounted beside Tessera (Tessera's own routes carry their own pipe).
  app.useGlobalPipes(new TesseraValidationPipe());
  // Errors raised before any route runs (body parsing, unknown paths) answer in Tessera's shape too.
  app.useGlobalFilters(new TesseraExceptionFilter(app.get(HttpAdapterHost)));
  return app;
}

/**
 * Security headers on every response (helmet, with a CSP for an API that serves only JSON), and
 * `Cache-Control: no-store`: responses carry USTs, attribute values and user views that no cache
 * may keep. While draining, every response also asks its client to reconnect (elsewhere).
 */
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The security headers helmet chooses for an API that serves only JSON, computed once by running
 * helmet itself. They do not depend on the request; applying helmet per request (@fastify/helmet
 * rebuilds and runs its middleware for every response) cost about 27 µs of the ~250 µs of service
 * CPU an attribute read takes, in a CPU profile under the bench's read load (docs/performance.md).
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
  });
  middleware({} as never, response as never, (error?: unknown) => {
    if (error) throw error;
  });
  // Responses carry USTs, attribute values and user views that no cache may keep.
  headers['cache-control'] = 'no-store';
  return headers;
}

async function registerResponseHeaders(app: NestFastifyApplication): Promise<void> {
  const headers = securityHeaders();
  const docsHeaders = { ...headers, 'content-security-policy': DOCS_CSP };
  const readiness = app.get(Readiness);
  const fastify = app.getHttpAdapter().getInstance();
  // Set before the handler runs, so a route that needs other values (the pages) sets its own.
  fastify.addHook('onRequest', (request, reply, done) => {
    // The OpenAPI UI is a page that loads its own scripts, styles and images (no inline script).
    reply.headers(request.url === '/docs' || request.url.startsWith('/docs/') ? docsHeaders : headers);
    done();
  });
  // While draining, every response (also of a request that began before) asks its client to reconnect.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (readiness.draining) reply.header('connection', 'close');
    done(null, payload);
  });
}
