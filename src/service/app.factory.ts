import { DynamicModule, Type } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { DestinationStream } from 'pino';
import {
  AppLogger,
  frameworkErrorBody,
  mountOpenApi,
  registerRequestLogging,
  ServiceConfig,
  TesseraExceptionFilter,
  TesseraModule,
  tesseraOptions,
  TesseraValidationPipe,
} from '../index';
import { registerJsonBodies } from './json-bodies';

export interface CreateAppOptions {
  /** Where log lines go (stdout by default); tests capture them here to scan for secrets. */
  logDestination?: DestinationStream;
  /** Further modules of the application, mounted beside Tessera (they can inject its services). */
  imports?: Array<Type<unknown> | DynamicModule>;
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
    trustProxy: config.trustProxy,
  });
  registerJsonBodies(adapter.getInstance(), config.bodyLimitBytes);
  const root: DynamicModule = {
    module: class TesseraService {},
    imports: [TesseraModule.forRoot({ ...tesseraOptions(config), routes: true }), ...(options.imports ?? [])],
  };
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger,
    bufferLogs: false,
    // Only JSON bodies (registerJsonBodies); Nest would otherwise add a form-encoded parser.
    bodyParser: false,
    // Let start-up errors reach the caller (one clear line), instead of Nest exiting the process.
    abortOnError: false,
  });
  registerRequestLogging(app.getHttpAdapter().getInstance(), logger.pino);
  if (config.openapi) mountOpenApi(app);
  // For modules mounted beside Tessera (Tessera's own routes carry their own pipe).
  app.useGlobalPipes(new TesseraValidationPipe());
  // Errors raised before any route runs (body parsing, unknown paths) answer in Tessera's shape too.
  app.useGlobalFilters(new TesseraExceptionFilter(app.get(HttpAdapterHost)));
  return app;
}
