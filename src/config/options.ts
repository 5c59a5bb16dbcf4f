/**
 * What a host application passes to `TesseraModule.forRoot(...)`. Only `databaseUrl` is required;
 * every other field has the default the service uses (see docs/embedding.md and .env.example).
 */
export interface TesseraOptions {
  /** PostgreSQL URL of Tessera's own connection pool, kept apart from any connection of the host. */
  databaseUrl: string;
  /**
   * A URL that reaches PostgreSQL itself, not through a transaction pooler: migrations and the
   * sweeper's leader lock need a real session. Default: `databaseUrl`.
   */
  directDatabaseUrl?: string;
  /**
   * Send statements as named prepared statements (planned once per connection). Turn off behind
   * PgBouncer in transaction pooling mode before 1.21, which cannot keep them. Default: on.
   */
  preparedStatements?: boolean;
  /** Applications users log in from (`currentApp`, `X-Current-App`). */
  apps?: string[];
  /** Production refuses to start without `encryptionKeys`. Default: `NODE_ENV === 'production'`. */
  production?: boolean;
  /** Idle session lifetime; using the session slides it forward. */
  sessionIdleTimeoutSeconds?: number;
  /** Absolute session lifetime from login; never extended. */
  sessionAbsoluteTimeoutSeconds?: number;
  /** A session's idle expiry is written forward at most this often (capped at half the idle lifetime). */
  sessionTouchIntervalSeconds?: number;
  /** Attribute key ring, newest first: `id:base64(32 bytes),...`. */
  encryptionKeys?: string;
  /** Outside production without `encryptionKeys`: where a generated development key is kept. */
  dataDir?: string;
  attrEncryptDefault?: boolean;
  attrMaxValueBytes?: number;
  attrMaxBatch?: number;
  argon2MemoryKib?: number;
  argon2TimeCost?: number;
  argon2Parallelism?: number;
  /** Password hashes computed at once; more wait in a queue of `passwordHashQueueLimit`, then 429. */
  passwordHashConcurrency?: number;
  passwordHashQueueLimit?: number;
  passwordMinLength?: number;
  dbPoolSize?: number;
  /** Seconds between background sweeps of expired rows; 0 turns the sweeper off. */
  sweepIntervalSeconds?: number;
  sweepBatchSize?: number;
  /** Apply Tessera's pending migrations when the module starts (under an advisory lock). */
  migrationsRun?: boolean;
  /** When set, `GET /metrics` requires `Authorization: Bearer <metricsToken>` (at least 16 characters). */
  metricsToken?: string;
  /** Failed-login limits and each account's and address's share of the hash queue (docs/operations.md). */
  loginLimits?: boolean;
  /** Failures of one account (username, any case), then of one client address, before a block. */
  loginMaxFailuresPerAccount?: number;
  loginMaxFailuresPerAddress?: number;
  /** Failures are forgotten this long after the last failure or block. */
  loginFailureWindowSeconds?: number;
  /** The first block; each further one (one failure after a block) doubles, up to the maximum. */
  loginBlockSeconds?: number;
  loginMaxBlockSeconds?: number;
  /** Logins of one account, of one address, waiting for or running a hash on this instance at once. */
  loginMaxPendingPerAccount?: number;
  loginMaxPendingPerAddress?: number;
  /** Audit events older than this are purged by the sweeper; 0 keeps them. */
  auditRetentionDays?: number;
  /**
   * Session cookie at login (docs/browser.md): `off` (never issued, never read), `optional` (when the
   * login asks with `cookie: true`) or `always`. Default: optional.
   */
  loginCookie?: LoginCookieMode;
  /** `Secure` session cookie named `__Host-tessera_session`; turn off only for plain-HTTP development. Default: on. */
  cookieSecure?: boolean;
  /**
   * Origins (`https://app.example.com`) besides the service's own from which cookie-authenticated
   * requests may change state, and (in the service) CORS with credentials is allowed.
   */
  allowedOrigins?: string[];
  /** Apps (from `apps`) whose users may sign themselves up (`POST /auth/signup`). Default: none, sign-up off. */
  signupApps?: string[];
  /** A confirmed sign-up waits for a super-user's approval (`pending`); off: approved on confirmation. Default: on. */
  signupApprovalRequired?: boolean;
  /** How long a sign-up's confirmation token is good for. Default: one day. */
  signupTokenTtlSeconds?: number;
  /** A TOTP code accepted once is refused again (same user, same or older time step). Default: on. */
  totpReplayProtection?: boolean;
  /** Login answers the warning `password_expiring` when the password expires within this many days. Default: 30. */
  passwordExpiryWarningDays?: number;
  /**
   * A password a user sets (created, signed up, changed, reset) expires this many days later;
   * 0: never (the default, as current guidance advises against forced rotation). Zato's is 730.
   */
  passwordExpiryDays?: number;
  /** How long a password reset token (and the reset key it gives) stays usable. Default: 3600. */
  passwordResetTtlSeconds?: number;
}

export type LoginCookieMode = 'off' | 'optional' | 'always';
const LOGIN_COOKIE_MODES: LoginCookieMode[] = ['off', 'optional', 'always'];

/** `scheme://host[:port]` as a browser sends it in `Origin`, or undefined when `text` is not an origin. */
export function normalizeOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password && !text.endsWith('/');
    return bare && (url.protocol === 'https:' || url.protocol === 'http:') ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The options with every default filled in and checked. */
export interface TesseraConfig extends Required<Omit<TesseraOptions, 'encryptionKeys' | 'production' | 'directDatabaseUrl' | 'metricsToken'>> {
  directDatabaseUrl: string;
  isProduction: boolean;
  encryptionKeys: string | undefined;
  metricsToken: string | undefined;
}

export const TESSERA_CONFIG = Symbol('TESSERA_CONFIG');

export class ConfigError extends Error {}

export const DEFAULTS = {
  apps: ['default'],
  sessionIdleTimeoutSeconds: 3600,
  sessionAbsoluteTimeoutSeconds: 43200,
  sessionTouchIntervalSeconds: 60,
  dataDir: './.data',
  attrEncryptDefault: false,
  attrMaxValueBytes: 65536,
  attrMaxBatch: 1000,
  // OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): one lane keeps a hash on one core.
  argon2MemoryKib: 19456,
  argon2TimeCost: 2,
  argon2Parallelism: 1,
  passwordHashConcurrency: 1,
  passwordHashQueueLimit: 64,
  passwordMinLength: 8,
  dbPoolSize: 10,
  sweepIntervalSeconds: 60,
  sweepBatchSize: 1000,
  migrationsRun: false,
  preparedStatements: true,
  loginLimits: true,
  loginMaxFailuresPerAccount: 5,
  loginMaxFailuresPerAddress: 50,
  loginFailureWindowSeconds: 900,
  loginBlockSeconds: 60,
  loginMaxBlockSeconds: 3600,
  loginMaxPendingPerAccount: 8,
  loginMaxPendingPerAddress: 16,
  auditRetentionDays: 90,
  loginCookie: 'optional' as LoginCookieMode,
  cookieSecure: true,
  allowedOrigins: [] as string[],
  signupApps: [] as string[],
  signupApprovalRequired: true,
  signupTokenTtlSeconds: 86400,
  totpReplayProtection: true,
  passwordExpiryWarningDays: 30,
  passwordExpiryDays: 0,
  passwordResetTtlSeconds: 3600,
} satisfies Omit<TesseraConfig, 'databaseUrl' | 'directDatabaseUrl' | 'isProduction' | 'encryptionKeys' | 'metricsToken'>;

/** Smallest value of each whole-number setting. */
const MINIMUM: Partial<Record<keyof TesseraConfig, number>> = {
  sessionIdleTimeoutSeconds: 1,
  sessionAbsoluteTimeoutSeconds: 1,
  sessionTouchIntervalSeconds: 0,
  attrMaxValueBytes: 1,
  attrMaxBatch: 1,
  argon2MemoryKib: 1024,
  argon2TimeCost: 1,
  argon2Parallelism: 1,
  passwordHashConcurrency: 1,
  passwordHashQueueLimit: 1,
  passwordMinLength: 1,
  dbPoolSize: 1,
  sweepIntervalSeconds: 0,
  sweepBatchSize: 1,
  loginMaxFailuresPerAccount: 1,
  loginMaxFailuresPerAddress: 1,
  loginFailureWindowSeconds: 1,
  loginBlockSeconds: 1,
  loginMaxBlockSeconds: 1,
  loginMaxPendingPerAccount: 1,
  loginMaxPendingPerAddress: 1,
  auditRetentionDays: 0,
  signupTokenTtlSeconds: 1,
  passwordExpiryWarningDays: 0,
  passwordExpiryDays: 0,
  passwordResetTtlSeconds: 60,
};

const APP_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Fills in defaults and checks every option, collecting one line per wrong setting. `label` names a
 * setting in those lines (the service names environment variables, a host its option keys).
 */
export function resolveOptions(options: TesseraOptions, label: (key: string) => string = (key) => key): TesseraConfig {
  const problems: string[] = [];
  const given = (options ?? {}) as unknown as Record<string, unknown>;
  const known = new Set([...Object.keys(DEFAULTS), 'databaseUrl', 'directDatabaseUrl', 'encryptionKeys', 'production', 'metricsToken']);
  for (const key of Object.keys(given)) {
    if (!known.has(key) && given[key] !== undefined) problems.push(`${label(key)} is not a Tessera option`);
  }
  const pick = <K extends keyof typeof DEFAULTS>(key: K): (typeof DEFAULTS)[K] => {
    const value = given[key];
    if (value === undefined) return DEFAULTS[key];
    const fallback = DEFAULTS[key];
    if (typeof fallback === 'number') {
      const min = MINIMUM[key] ?? 0;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
        problems.push(`${label(key)} must be a whole number of at least ${min}`);
        return fallback;
      }
    } else if (typeof fallback === 'boolean' && typeof value !== 'boolean') {
      problems.push(`${label(key)} must be true or false`);
      return fallback;
    }
    return value as (typeof DEFAULTS)[K];
  };
  const resolved = {
    databaseUrl: given.databaseUrl as string,
    isProduction: typeof given.production === 'boolean' ? given.production : process.env.NODE_ENV === 'production',
    encryptionKeys: given.encryptionKeys as string | undefined,
    directDatabaseUrl: (given.directDatabaseUrl ?? given.databaseUrl) as string,
    metricsToken: given.metricsToken as string | undefined,
  } as TesseraConfig;
  for (const key of Object.keys(DEFAULTS) as Array<keyof typeof DEFAULTS>) {
    (resolved as unknown as Record<string, unknown>)[key] = pick(key);
  }
  for (const key of ['databaseUrl', 'directDatabaseUrl'] as const) {
    if (typeof resolved[key] !== 'string' || !/^postgres(ql)?:\/\//.test(resolved[key])) problems.push(`${label(key)} must be a postgres:// URL`);
  }
  if (given.production !== undefined && typeof given.production !== 'boolean') problems.push(`${label('production')} must be true or false`);
  if (resolved.encryptionKeys !== undefined && (typeof resolved.encryptionKeys !== 'string' || !resolved.encryptionKeys.trim())) {
    problems.push(`${label('encryptionKeys')} must be a non-empty string of id:base64key entries`);
  }
  if (resolved.metricsToken !== undefined && (typeof resolved.metricsToken !== 'string' || resolved.metricsToken.length < 16)) {
    problems.push(`${label('metricsToken')} must be a string of at least 16 characters`);
  }
  if (typeof resolved.dataDir !== 'string' || !resolved.dataDir) problems.push(`${label('dataDir')} must be a path`);
  if (!Array.isArray(resolved.apps) || resolved.apps.length === 0 || !resolved.apps.every((a) => typeof a === 'string' && APP_NAME.test(a))) {
    problems.push(`${label('apps')} must list at least one application name (letters, digits, _.:-)`);
  }
  if (!Array.isArray(resolved.signupApps) || !resolved.signupApps.every((a) => typeof a === 'string' && Array.isArray(resolved.apps) && resolved.apps.includes(a))) {
    problems.push(`${label('signupApps')} must list only applications of ${label('apps')}`);
  }
  if (!LOGIN_COOKIE_MODES.includes(resolved.loginCookie)) problems.push(`${label('loginCookie')} must be one of ${LOGIN_COOKIE_MODES.join(', ')}`);
  const origins = Array.isArray(resolved.allowedOrigins) ? resolved.allowedOrigins.map((o) => (typeof o === 'string' ? normalizeOrigin(o) : undefined)) : [undefined];
  if (origins.some((o) => o === undefined)) problems.push(`${label('allowedOrigins')} must list origins such as https://app.example.com (scheme, host, port; no path)`);
  else resolved.allowedOrigins = origins as string[];
  if (resolved.isProduction && !resolved.cookieSecure) problems.push(`${label('cookieSecure')} may be off only outside production (plain-HTTP development)`);
  if (resolved.sessionAbsoluteTimeoutSeconds < resolved.sessionIdleTimeoutSeconds) {
    problems.push(`${label('sessionAbsoluteTimeoutSeconds')} must not be smaller than ${label('sessionIdleTimeoutSeconds')}`);
  }
  if (resolved.loginMaxBlockSeconds < resolved.loginBlockSeconds) {
    problems.push(`${label('loginMaxBlockSeconds')} must not be smaller than ${label('loginBlockSeconds')}`);
  }
  if (problems.length) throw new ConfigError(problems.join('\n'));
  // Sliding the idle expiry is a write; doing it at most once per interval keeps reads read-only.
  resolved.sessionTouchIntervalSeconds = Math.min(resolved.sessionTouchIntervalSeconds, Math.floor(resolved.sessionIdleTimeoutSeconds / 2));
  return resolved;
}
