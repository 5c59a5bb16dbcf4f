import { ConfigurableModuleBuilder, Inject, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SessionAttrService, UserAttrService } from './attributes/attr.service';
import { CallerAccess } from './attributes/caller-access';
import { KeyRotationService } from './attributes/key-rotation.service';
import { AuditService } from './audit/audit.service';
import { AuthService } from './auth/auth.service';
import { LoginLimits } from './auth/login-limits.service';
import { LogOnlyPasswordResetNotifier, PASSWORD_RESET_NOTIFIER, PasswordResetNotifierOption } from './auth/password-reset-notifier';
import { PasswordResetService } from './auth/password-reset.service';
import { resolveOptions, TESSERA_CONFIG, TesseraConfig, TesseraOptions } from './config/options';
import { AttrCipher } from './crypto/attr-cipher.service';
import { PasswordHasher } from './crypto/password-hasher.service';
import { Db } from './database/db';
import { runMigrations } from './database/migrate';
import { Readiness } from './health/readiness.service';
import { SessionAttrController, UserAttrController } from './http/attr.controller';
import { AuditController } from './http/audit.controller';
import { AuthController } from './http/auth.controller';
import { HealthController } from './http/health.controller';
import { LoginMetricsInterceptor } from './http/login-metrics.interceptor';
import { MetricsController } from './http/metrics.controller';
import { SessionGuard } from './http/session.guard';
import { SessionsController } from './http/sessions.controller';
import { UsersController } from './http/users.controller';
import { TesseraMetrics } from './metrics/tessera-metrics';
import { SessionsService } from './sessions/sessions.service';
import { SweeperService } from './sweeper/sweeper.service';
import { TotpService } from './users/totp.service';
import { UsersService } from './users/users.service';
import { SignupService } from './users/signup.service';
import { LinkedAuthService } from './users/linked-auth.service';
import { SignupController } from './http/signup.controller';
import { LinkedAuthController } from './http/linked-auth.controller';
import { ZatoAttrControllers } from './http/zato/zato-attrs.controller';
import { ZatoAuthController } from './http/zato/zato-auth.controller';
import { ZatoSessionsController } from './http/zato/zato-sessions.controller';
import { ZatoUsersController } from './http/zato/zato-users.controller';

/** Options of the module itself, beside Tessera's settings. */
export interface TesseraModuleExtras {
  /** Mount Tessera's REST API (login, sessions, users, attributes, health, metrics) in the application. Default: off. */
  routes?: boolean;
  /** Make Tessera's services injectable in every module of the application. Default: on. */
  isGlobal?: boolean;
  /**
   * Delivers password reset tokens (e-mail, SMS…): a class (injected like any provider) or an
   * instance implementing PasswordResetNotifier. Default: none, the token is dropped (docs/operations.md).
   */
  passwordResetNotifier?: PasswordResetNotifierOption;
  /**
   * Mount Zato's SSO REST surface under `/zato/sso/*` (docs/zato.md), with or without `routes`.
   * Zato's clients send JSON bodies on GET and DELETE too, without a content type: the host must
   * hand those routes the parsed body (Tessera's service does). Default: off.
   */
  zatoCompat?: boolean;
}

/** The host's notifier, if it gave one, in place of the default. */
function notifierProviders(notifier: PasswordResetNotifierOption | undefined): Provider[] {
  if (!notifier) return [];
  return [typeof notifier === 'function' ? { provide: PASSWORD_RESET_NOTIFIER, useClass: notifier } : { provide: PASSWORD_RESET_NOTIFIER, useValue: notifier }];
}

/** Zato's SSO REST surface, as mounted with `zatoCompat: true`. */
export const ZATO_CONTROLLERS = [ZatoAuthController, ZatoUsersController, ZatoSessionsController, ...ZatoAttrControllers];

/** The REST API, as mounted with `routes: true`. */
export const TESSERA_CONTROLLERS = [
  AuthController, SessionsController, UsersController, SessionAttrController, UserAttrController, HealthController, MetricsController,
  AuditController, SignupController, LinkedAuthController,
];

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<TesseraOptions>({
  moduleName: 'Tessera',
})
  .setClassMethodName('forRoot')
  // Every extra is named in the defaults: Nest strips only those keys from the options passed to TESSERA_CONFIG.
  .setExtras<TesseraModuleExtras>({ routes: false, isGlobal: true, passwordResetNotifier: undefined, zatoCompat: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    controllers: [...(extras.routes ? TESSERA_CONTROLLERS : []), ...(extras.zatoCompat ? ZATO_CONTROLLERS : [])],
    // Providers of the dynamic module come after the static ones and take their place.
    providers: [...(definition.providers ?? []), ...notifierProviders(extras.passwordResetNotifier)],
  }))
  .build();

/** `TesseraModule.forRoot(options)` takes these. */
export type TesseraModuleOptions = typeof OPTIONS_TYPE;
/** `TesseraModule.forRootAsync({ imports, inject, useFactory })` takes these. */
export type TesseraModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

const services = [
  PasswordHasher, AttrCipher, UsersService, SessionsService, AuthService, SessionAttrService, UserAttrService,
  KeyRotationService, SweeperService, CallerAccess, SessionGuard, Readiness, TesseraMetrics, LoginMetricsInterceptor,
  AuditService, LoginLimits, SignupService, LinkedAuthService,
  TotpService, PasswordResetService,
];

const providers: Provider[] = [
  // Checked once at start: a wrong option stops the application with one line per problem.
  { provide: TESSERA_CONFIG, inject: [MODULE_OPTIONS_TOKEN], useFactory: (options: TesseraOptions) => resolveOptions(options) },
  {
    provide: Db,
    inject: [TESSERA_CONFIG],
    useFactory: async (config: TesseraConfig) => {
      if (config.migrationsRun) await runMigrations(config.directDatabaseUrl);
      return new Db({ url: config.databaseUrl, poolSize: config.dbPoolSize, preparedStatements: config.preparedStatements });
    },
  },
  ...services,
  { provide: PASSWORD_RESET_NOTIFIER, useClass: LogOnlyPasswordResetNotifier },
];

/**
 * Everything Tessera is, as one Nest module: `TesseraModule.forRoot({ databaseUrl, ... })` or
 * `forRootAsync(...)`. The HTTP service mounts it with `routes: true`; a host application injects
 * `AuthService`, `SessionsService`, `UsersService`, `SessionAttrService` and `UserAttrService`, and
 * guards its own routes with `@Authenticated()`. Its database pool is its own (docs/embedding.md).
 */
// Terminus' own logger stays off: a failing readiness probe is an answer, not an error to log each time.
@Module({ imports: [TerminusModule.forRoot({ logger: false })], providers, exports: [TESSERA_CONFIG, ...services] })
export class TesseraModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(Db) private readonly db: Db) {
    super();
  }

  // Runs after every `beforeApplicationShutdown` hook (the sweeper stops there).
  async onApplicationShutdown() {
    await this.db.close();
  }
}

