import { DynamicModule, LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TesseraModule, TesseraOptions } from 'tessera';
import { CartModule } from './cart';
import { Note, NotesModule } from './notes';

export interface HostOptions {
  /** Tessera's settings beside the database URL (apps, TTLs, keys, ...). */
  tessera?: Omit<TesseraOptions, 'databaseUrl'>;
  /** Mount Tessera's REST API (POST /auth/login, /sessions, /users, attributes) in this application. */
  routes?: boolean;
  /** Where Nest and the application log; Nest's console logger when absent. */
  logger?: LoggerService;
}

/** The host's settings, as a config service (@nestjs/config's ConfigService plays this part in most apps). */
export class HostConfig {
  constructor(
    readonly databaseUrl: string,
    private readonly tesseraSettings: Omit<TesseraOptions, 'databaseUrl'>,
  ) {}

  tessera(): TesseraOptions {
    return { ...this.tesseraSettings, databaseUrl: this.databaseUrl };
  }
}

@Module({})
export class HostConfigModule {
  static register(config: HostConfig): DynamicModule {
    return { module: HostConfigModule, providers: [{ provide: HostConfig, useValue: config }], exports: [HostConfig] };
  }
}

@Module({})
export class AppModule {
  static register(databaseUrl: string, options: HostOptions): DynamicModule {
    const config = HostConfigModule.register(new HostConfig(databaseUrl, options.tessera ?? {}));
    return {
      module: AppModule,
      imports: [
        // The host's own connection, for its own entities. Tessera keeps a pool of its own.
        TypeOrmModule.forRootAsync({
          imports: [config],
          inject: [HostConfig],
          useFactory: (host: HostConfig) => ({ type: 'postgres', url: host.databaseUrl, entities: [Note], synchronize: true, retryAttempts: 1 }),
        }),
        TesseraModule.forRootAsync({
          imports: [config],
          inject: [HostConfig],
          useFactory: (host: HostConfig) => host.tessera(),
          routes: options.routes ?? false,
        }),
        NotesModule,
        CartModule,
      ],
    };
  }
}

/** Builds the application (not yet listening) on Fastify, with Tessera and the host's own database. */
export async function createFastifyHost(databaseUrl: string, options: HostOptions = {}): Promise<NestFastifyApplication> {
  return NestFactory.create<NestFastifyApplication>(AppModule.register(databaseUrl, options), new FastifyAdapter(), {
    // Fastify's own parsers only (JSON and text): Nest would add a form-encoded one, and a form post must not reach Tessera.
    bodyParser: false,
    abortOnError: false,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
