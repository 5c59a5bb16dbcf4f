import { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { DestinationStream } from 'pino';
import { AllExceptionsFilter, frameworkErrorBody } from './common/http-exception.filter';
import { createValidationPipe } from './common/validation';
import { AppConfig } from './config/config';
import { AppLogger } from './logging/app-logger';
import { registerRequestLogging } from './logging/request-logging';
import { TesseraModule } from './tessera.module';

export interface CreateAppOptions {
  /** Where log lines go (stdout by default); tests capture them here to scan for secrets. */
  logDestination?: DestinationStream;
  /** Further modules of the application, mounted beside Tessera (they can inject its services). */
  imports?: Array<Type<unknown> | DynamicModule>;
}

/** Builds the HTTP application (not yet listening); the service and the end-to-end tests share it. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
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
    trustProxy: process.env.TRUST_PROXY === 'true',
  });
  const root: DynamicModule = {
    module: class TesseraApp {},
    imports: [TesseraModule.forRoot(config), ...(options.imports ?? [])],
  };
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger,
    bufferLogs: false,
    // Let start-up errors reach the caller (one clear line), instead of Nest exiting the process.
    abortOnError: false,
  });
  registerRequestLogging(app.getHttpAdapter().getInstance(), logger.pino);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  return app;
}
