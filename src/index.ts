/**
 * Tessera's public entry: everything a host application or the service itself imports comes from
 * here (`import { TesseraModule, SessionAttrService } from 'tessera'`).
 */

// The module and its settings
export { TesseraModule, TESSERA_CONTROLLERS, ZATO_CONTROLLERS } from './tessera.module';
export type { TesseraModuleAsyncOptions, TesseraModuleExtras, TesseraModuleOptions } from './tessera.module';
export { ConfigError, resolveOptions, TESSERA_CONFIG } from './config/options';
export type { LoginCookieMode, TesseraConfig, TesseraOptions } from './config/options';

// Services
export { AuthService } from './auth/auth.service';
export type { ClientInfo, LoginInput, LoginResult } from './auth/auth.service';
export { SessionsService } from './sessions/sessions.service';
export type { ListedSession, NewSession } from './sessions/sessions.service';
export type { SessionView } from './sessions/session.entity';
export { UsersService } from './users/users.service';
export type { ApprovalStatus, UserView } from './users/user.entity';
export type { AdminChanges, NewUser, ProfileChanges, UserPage, UserSearch, UserSearchPage } from './users/user.types';
export type { SignUpStatus } from './users/user.entity';
export { SignupService } from './users/signup.service';
export type { SignUpInput, SignUpResult } from './users/signup.service';
export { LinkedAuthService, LINKED_AUTH_TYPES } from './users/linked-auth.service';
export type { LinkedAuth, LinkedAuthType, NewLinkedAuth } from './users/linked-auth.service';
export { TotpService } from './users/totp.service';
export { PasswordResetService } from './auth/password-reset.service';
export type { PasswordResetAccess } from './auth/password-reset.service';
export { LogOnlyPasswordResetNotifier, PASSWORD_RESET_NOTIFIER } from './auth/password-reset-notifier';
export type { PasswordResetNotifier, PasswordResetNotifierOption, PasswordResetRequest } from './auth/password-reset-notifier';
export type { TotpEnrollment } from './users/totp.service';
export { AttrService, SessionAttrService, UserAttrService } from './attributes/attr.service';
export type { AttrOwner, BoundAttrs } from './attributes/attr.service';
export type { Attr, AttrItem, AttrMeta, ExpiryItem, JsonValue, OwnerRef, UpdateItem, WriteOptions } from './attributes/attr.types';
export { KeyRotationService } from './attributes/key-rotation.service';
export type { RotationReport } from './attributes/key-rotation.service';
export { SweeperService } from './sweeper/sweeper.service';
export { Readiness } from './health/readiness.service';
export type { DatabaseState } from './health/readiness.service';
export { TesseraMetrics } from './metrics/tessera-metrics';
export type { SweptKind } from './metrics/tessera-metrics';
export { AuditService } from './audit/audit.service';
export { AUDIT_EVENT_TYPES } from './audit/audit-event.entity';
export type { AuditContext, AuditEvent, AuditEventType, AuditPage, AuditQuery, NewAuditEvent } from './audit/audit-event.entity';
export { LoginLimits } from './auth/login-limits.service';
export type { LoginKeys } from './auth/login-limits.service';

// Guarding a host application's own routes
export { Authenticated, CurrentSession, SessionAttrs, sessionAttrsOf, SessionGuard, SuperUserOnly } from './http/session.guard';
export type { SessionAttrsHandle } from './http/session.guard';

// Browsers: the session cookie, CSRF protection, the login and account pages (docs/browser.md)
export { CSRF_HEADER } from './http/csrf';
export { sessionCookieName } from './http/session-cookie';
export { mountTesseraPages, tesseraPagesPlugin } from './pages/pages.plugin';
export type { TesseraPagesOptions } from './pages/pages.plugin';

// Errors
export { TesseraError } from './common/tessera-error';
export type { ErrorBody } from './common/tessera-error';
export { ERROR_STATUS } from './common/error-codes';
export type { ErrorCode } from './common/error-codes';
export { TesseraExceptionFilter, toErrorBody } from './http/exception.filter';

// OpenAPI: the document of an application's routes, and serving it with its UI
export { buildOpenApiDocument, mountOpenApi, SESSION_COOKIE_NAME } from './http/openapi/document';
export type { MountOpenApiOptions, OpenApiDocumentOptions } from './http/openapi/document';

// Zato's SSO REST surface (docs/zato.md)
export { InvalidJsonBody } from './http/zato/zato-input';
export { ZATO_PATH_PREFIX } from './http/zato/zato.filter';
export { ZATO_SUB_STATUS } from './http/zato/zato-codes';

// Database
export { MIGRATIONS_TABLE, runMigrations, tesseraMigrations } from './database/migrate';

// Running Tessera's own HTTP service (npm start, the CLI, the tests)
export { loadConfig, loadDotEnv, tesseraOptions } from './config/env';
export type { ServiceConfig } from './config/env';
export { startEmbeddedPostgres } from './database/embedded-postgres';
export type { EmbeddedDatabase } from './database/embedded-postgres';
export { migrationProblem } from './database/migrate';
export { frameworkErrorBody } from './http/exception.filter';
export { TesseraValidationPipe } from './http/validation.pipe';
export { registerRequestLogging } from './http/request-logging';
export { registerRequestMetrics } from './http/request-metrics';
export { AppLogger } from './logging/app-logger';
