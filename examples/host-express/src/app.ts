import { DynamicModule, LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TesseraModule, TesseraOptions } from 'tessera';
import { CartModule } from './cart';
import { Product, ProductsModule } from './products';

export interface HostOptions {
  /** Tessera's settings beside the database URL (apps, TTLs, keys, ...). */
  tessera?: Omit<TesseraOptions, 'databaseUrl'>;
  /** Mount Tessera's REST API (POST /auth/login, /sessions, /users, attributes) in this application. */
  routes?: boolean;
  /** Where Nest and the application log; Nest's console logger when absent. */
  logger?: LoggerService;
}

@Module({})
export class AppModule {
  static register(databaseUrl: string, options: HostOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // The host's own connection, for its own entities. Tessera keeps a pool of its own.
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl, entities: [Product], synchronize: true, retryAttempts: 1 }),
        TesseraModule.forRoot({ ...options.tessera, databaseUrl, routes: options.routes ?? false }),
        ProductsModule,
        CartModule,
      ],
    };
  }
}

/** Builds the application (not yet listening) on Express, with Tessera and the host's own database. */
export async function createExpressHost(databaseUrl: string, options: HostOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(databaseUrl, options), new ExpressAdapter(), {
    // JSON bodies only: Tessera's API takes JSON, and a form post must not reach it.
    bodyParser: false,
    abortOnError: false,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  app.useBodyParser('json', { limit: '8mb' });
  return app;
}
