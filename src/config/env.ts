import { readFileSync } from 'node:fs';
import { ConfigError, resolveOptions, TesseraConfig, TesseraOptions } from './options';

/** The service's settings: Tessera's own, plus how the HTTP service listens and logs. */
export interface ServiceConfig extends Omit<TesseraConfig, 'databaseUrl' | 'directDatabaseUrl'> {
  /** Unset: the service starts an embedded PostgreSQL and fills this in. */
  databaseUrl: string | undefined;
  directDatabaseUrl: string | undefined;
  nodeEnv: string;
  port: number;
  host: string;
  logLevel: string;
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** On SIGTERM, in-flight requests get this long to finish before the process exits anyway. */
  shutdownTimeoutSeconds: number;
  /** Serve the login and account pages (docs/browser.md). */
  pages: boolean;
  /** Serve the OpenAPI document at /openapi.json and its UI at /docs. */
  openapi: boolean;
  /** Serve Zato's SSO REST surface under /zato/sso/* (docs/zato.md). */
  zatoCompat: boolean;
}

type Env = Record<string, string | undefined>;

/** Each option's environment variable; `.env.example` documents every one. */
export const ENV_NAMES: Record<string, string> = {
  databaseUrl: 'DATABASE_URL',
  directDatabaseUrl: 'DATABASE_DIRECT_URL',
  preparedStatements: 'DB_PREPARED_STATEMENTS',
  apps: 'SSO_APPS',
  production: 'NODE_ENV',
  sessionIdleTimeoutSeconds: 'SESSION_TTL',
  sessionAbsoluteTimeoutSeconds: 'SESSION_MAX_TTL',
  sessionTouchIntervalSeconds: 'SESSION_TOUCH_INTERVAL',
  encryptionKeys: 'ENCRYPTION_KEYS',
  dataDir: 'DATA_DIR',
  attrEncryptDefault: 'ATTR_ENCRYPT_DEFAULT',
  attrMaxValueBytes: 'ATTR_MAX_VALUE_BYTES',
  attrMaxBatch: 'ATTR_MAX_BATCH',
  argon2MemoryKib: 'ARGON2_MEMORY_KIB',
  argon2TimeCost: 'ARGON2_TIME_COST',
  argon2Parallelism: 'ARGON2_PARALLELISM',
  passwordHashConcurrency: 'PASSWORD_HASH_CONCURRENCY',
  passwordHashQueueLimit: 'PASSWORD_HASH_QUEUE_LIMIT',
  passwordMinLength: 'PASSWORD_MIN_LENGTH',
  dbPoolSize: 'DB_POOL_SIZE',
  sweepIntervalSeconds: 'SWEEP_INTERVAL',
  sweepBatchSize: 'SWEEP_BATCH_SIZE',
  migrationsRun: 'MIGRATIONS_RUN',
  metricsToken: 'METRICS_TOKEN',
  loginLimits: 'LOGIN_LIMITS',
  loginMaxFailuresPerAccount: 'LOGIN_MAX_FAILURES_PER_ACCOUNT',
  loginMaxFailuresPerAddress: 'LOGIN_MAX_FAILURES_PER_ADDRESS',
  loginFailureWindowSeconds: 'LOGIN_FAILURE_WINDOW',
  loginBlockSeconds: 'LOGIN_BLOCK_SECONDS',
  loginMaxBlockSeconds: 'LOGIN_MAX_BLOCK_SECONDS',
  loginMaxPendingPerAccount: 'LOGIN_MAX_PENDING_PER_ACCOUNT',
  loginMaxPendingPerAddress: 'LOGIN_MAX_PENDING_PER_ADDRESS',
  auditRetentionDays: 'AUDIT_RETENTION_DAYS',
  loginCookie: 'LOGIN_COOKIE',
  cookieSecure: 'COOKIE_SECURE',
  allowedOrigins: 'ALLOWED_ORIGINS',
  signupApps: 'SIGNUP_APPS',
  signupApprovalRequired: 'SIGNUP_APPROVAL_REQUIRED',
  signupTokenTtlSeconds: 'SIGNUP_TOKEN_TTL',
  totpReplayProtection: 'TOTP_REPLAY_PROTECTION',
  passwordExpiryWarningDays: 'PASSWORD_EXPIRY_WARNING_DAYS',
  passwordResetTtlSeconds: 'PASSWORD_RESET_TTL',
  // The module extra `zatoCompat` (which controllers to mount), not a Tessera option: the service reads it.
  zatoCompat: 'ZATO_COMPAT',
};

/** ENV_NAMES entries that are not options of resolveOptions: read on their own below. */
const NOT_OPTIONS = new Set(['production', 'databaseUrl', 'zatoCompat']);

const NODE_ENVS = ['development', 'production', 'test'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// Stands in for an unset DATABASE_URL while the other settings are checked.
const EMBEDDED_PLACEHOLDER = 'postgres://embedded';

/**
 * Reads every setting from the environment (or `.env`) and checks it; a wrong setting stops the
 * service with one line per problem, naming the variable.
 */
export function loadConfig(env: Env = process.env): ServiceConfig {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };
  const int = (name: string): number | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number, got "${raw.slice(0, 40)}"`);
      return undefined;
    }
    return Number(raw);
  };
  const bool = (name: string): boolean | undefined => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return undefined;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw.slice(0, 40)}"`);
    return undefined;
  };
  const oneOf = (name: string, allowed: string[], fallback: string): string => {
    const raw = str(name) ?? fallback;
    if (allowed.includes(raw)) return raw;
    problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw.slice(0, 40)}"`);
    return fallback;
  };

  const nodeEnv = oneOf('NODE_ENV', NODE_ENVS, 'development');
  const options: Partial<TesseraOptions> = { production: nodeEnv === 'production' };
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    if (NOT_OPTIONS.has(key)) continue;
    if (key === 'apps' || key === 'allowedOrigins' || key === 'signupApps') {
      const raw = str(name);
      if (raw !== undefined) options[key] = raw.split(',').map((a) => a.trim()).filter(Boolean);
    } else if (key === 'encryptionKeys' || key === 'dataDir' || key === 'directDatabaseUrl' || key === 'loginCookie' || key === 'metricsToken') {
      (options as Record<string, unknown>)[key] = str(name);
    } else if (key === 'attrEncryptDefault' || key === 'migrationsRun' || key === 'preparedStatements' || key === 'cookieSecure' || key === 'loginLimits' || key === 'signupApprovalRequired' || key === 'totpReplayProtection') {
      (options as Record<string, unknown>)[key] = bool(name);
    } else {
      (options as Record<string, unknown>)[key] = int(name);
    }
  }
  const databaseUrl = str('DATABASE_URL');
  const service = {
    nodeEnv,
    port: int('PORT') ?? 3000,
    host: str('HOST') ?? '127.0.0.1',
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimitBytes: int('BODY_LIMIT_BYTES') ?? 8 * 1024 * 1024,
    trustProxy: bool('TRUST_PROXY') ?? false,
    shutdownTimeoutSeconds: int('SHUTDOWN_TIMEOUT') ?? 10,
    pages: bool('PAGES') ?? true,
    openapi: bool('OPENAPI') ?? true,
    zatoCompat: bool(ENV_NAMES.zatoCompat) ?? false,
  };
  if (service.port > 65535) problems.push(`PORT must be at most 65535, got ${service.port}`);
  if (service.bodyLimitBytes < 1024) problems.push('BODY_LIMIT_BYTES must be at least 1024');
  if (service.shutdownTimeoutSeconds < 1 || service.shutdownTimeoutSeconds > 3600) {
    problems.push(`SHUTDOWN_TIMEOUT must be between 1 and 3600 seconds, got ${service.shutdownTimeoutSeconds}`);
  }
  let tessera: TesseraConfig | undefined;
  try {
    tessera = resolveOptions({ ...options, databaseUrl: databaseUrl ?? EMBEDDED_PLACEHOLDER }, (key) => ENV_NAMES[key] ?? key);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.message.split('\n'));
  }
  if (problems.length || !tessera) throw new ConfigError(problems.join('\n'));
  return { ...tessera, ...service, databaseUrl, directDatabaseUrl: str('DATABASE_DIRECT_URL') };
}

/** Tessera's module options out of the service's settings (the database URL must be known by now). */
export function tesseraOptions(config: ServiceConfig): TesseraOptions {
  if (!config.databaseUrl) throw new ConfigError('no database URL (the service starts the embedded server before this)');
  const { nodeEnv: _env, port: _port, host: _host, logLevel: _level, bodyLimitBytes: _limit, trustProxy: _proxy, shutdownTimeoutSeconds: _shutdown, pages: _pages, openapi: _openapi, zatoCompat: _zato, isProduction, ...options } = config;
  return { ...options, databaseUrl: config.databaseUrl, directDatabaseUrl: config.directDatabaseUrl, production: isProduction };
}

/** Reads `.env` (KEY=VALUE lines) into process.env without overriding what is already set. */
export function loadDotEnv(path = '.env'): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const value = match[2].replace(/^(['"])(.*)\1$/, '$2');
    if (process.env[match[1]] === undefined) process.env[match[1]] = value;
  }
}
