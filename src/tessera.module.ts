import { DynamicModule, Module } from '@nestjs/common';
import { AttributesModule } from './attributes/attributes.module';
import { AuthModule } from './auth/auth.module';
import { APP_CONFIG, AppConfig } from './config/config';
import { CryptoModule } from './crypto/crypto.module';
import { DatabaseModule } from './database/database.module';
import { SessionsModule } from './sessions/sessions.module';
import { SweeperModule } from './sweeper/sweeper.module';
import { UsersModule } from './users/users.module';

/**
 * Everything Tessera is, as one Nest module: the HTTP service mounts it, and so can another Nest
 * application that wants `AuthService`, `SessionsService` and the attribute services in-process.
 * `config.databaseUrl` must be set (the service's bootstrap fills it in for the embedded server).
 */
@Module({})
export class TesseraModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.databaseUrl) throw new Error('TesseraModule.forRoot needs config.databaseUrl');
    const configModule: DynamicModule = {
      module: class TesseraConfigModule {},
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
    const features = [CryptoModule, SessionsModule, UsersModule, AuthModule, AttributesModule, SweeperModule];
    return {
      module: TesseraModule,
      // Global, so an application's own modules inject SessionAttrService & co. without importing it.
      global: true,
      imports: [configModule, DatabaseModule.forRoot(config.databaseUrl, config.dbPoolSize), ...features],
      exports: features,
    };
  }
}
