import { readFileSync } from 'node:fs';

/** Every setting Tessera reads, already parsed. `.env.example` documents each one. */
export interface AppConfig {
  nodeEnv: string;
  isProduction: boolean;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  apps: string[];
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  sessionTouchIntervalSeconds: number;
  encryptionKeys: string | undefined;
  attrEncryptDefault: boolean;
  attrMaxValueBytes: number;
  attrMaxBatch: number;
  bodyLimitBytes: number;
  logLevel: string;
  argon2MemoryKib: number;
  argon2TimeCost: number;
  argon2Parallelism: number;
  passwordHashConcurrency: number;
  passwordHashQueueLimit: number;
  passwordMinLength: number;
  dbPoolSize: number;
  sweepIntervalSeconds: number;
  sweepBatchSize: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min) throw new ConfigError(`${name} must be at least ${min}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function str(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = str(env, 'NODE_ENV') ?? 'development';
  const apps = (str(env, 'SSO_APPS') ?? 'default')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const sessionIdleTimeoutSeconds = int(env, 'SESSION_TTL', 3600, 1);
  const sessionAbsoluteTimeoutSeconds = int(env, 'SESSION_MAX_TTL', 43200, 1);
  if (sessionAbsoluteTimeoutSeconds < sessionIdleTimeoutSeconds) {
    throw new ConfigError('SESSION_MAX_TTL must not be smaller than SESSION_TTL');
  }
  // Sliding the idle expiry is a write; doing it at most once per interval keeps reads read-only.
  const touch = int(env, 'SESSION_TOUCH_INTERVAL', 60, 0);
  return {
    nodeEnv,
    isProduction: nodeEnv === 'production',
    port: int(env, 'PORT', 3000),
    host: str(env, 'HOST') ?? '127.0.0.1',
    databaseUrl: str(env, 'DATABASE_URL'),
    dataDir: str(env, 'DATA_DIR') ?? './.data',
    apps,
    sessionIdleTimeoutSeconds,
    sessionAbsoluteTimeoutSeconds,
    sessionTouchIntervalSeconds: Math.min(touch, Math.floor(sessionIdleTimeoutSeconds / 2)),
    encryptionKeys: str(env, 'ENCRYPTION_KEYS'),
    attrEncryptDefault: bool(env, 'ATTR_ENCRYPT_DEFAULT', false),
    attrMaxValueBytes: int(env, 'ATTR_MAX_VALUE_BYTES', 65536, 1),
    attrMaxBatch: int(env, 'ATTR_MAX_BATCH', 1000, 1),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024),
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    // OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): one lane keeps a hash on one core.
    argon2MemoryKib: int(env, 'ARGON2_MEMORY_KIB', 19456, 1024),
    argon2TimeCost: int(env, 'ARGON2_TIME_COST', 2, 1),
    argon2Parallelism: int(env, 'ARGON2_PARALLELISM', 1, 1),
    passwordHashConcurrency: int(env, 'PASSWORD_HASH_CONCURRENCY', 1, 1),
    passwordHashQueueLimit: int(env, 'PASSWORD_HASH_QUEUE_LIMIT', 64, 1),
    passwordMinLength: int(env, 'PASSWORD_MIN_LENGTH', 8, 1),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1),
    sweepIntervalSeconds: int(env, 'SWEEP_INTERVAL', 60, 0),
    sweepBatchSize: int(env, 'SWEEP_BATCH_SIZE', 1000, 1),
  };
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

export const APP_CONFIG = Symbol('APP_CONFIG');
