import { loadConfig, tesseraOptions } from './env';
import { ConfigError, resolveOptions } from './options';

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
}

describe('settings from the environment', () => {
  it('take their defaults when unset', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ nodeEnv: 'development', isProduction: false, port: 3000, apps: ['default'], preparedStatements: true });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('refuses a NODE_ENV that is not development, test or production (prod does not silently mean development)', () => {
    expect(problems(() => loadConfig({ NODE_ENV: 'prod' }))).toEqual(['NODE_ENV must be one of development, production, test, got "prod"']);
  });

  it('names every wrong setting, one line each, all at once', () => {
    const lines = problems(() =>
      loadConfig({ LOG_LEVEL: 'loud', TRUST_PROXY: 'maybe', SESSION_TTL: 'ten', ATTR_MAX_BATCH: '0', DATABASE_URL: 'mysql://x', PORT: '70000' }),
    );
    expect(lines.sort()).toEqual(
      [
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
        'TRUST_PROXY must be true or false, got "maybe"',
        'SESSION_TTL must be a whole number, got "ten"',
        'ATTR_MAX_BATCH must be a whole number of at least 1',
        'DATABASE_URL must be a postgres:// URL',
        'DATABASE_DIRECT_URL must be a postgres:// URL',
        'PORT must be at most 65535, got 70000',
      ].sort(),
    );
  });

  it('read the browser settings: cookie mode, Secure, allowed origins (normalised) and pages', () => {
    expect(loadConfig({})).toMatchObject({ loginCookie: 'optional', cookieSecure: true, allowedOrigins: [], pages: true });
    const config = loadConfig({ LOGIN_COOKIE: 'always', COOKIE_SECURE: 'false', ALLOWED_ORIGINS: 'https://App.example.com:443, http://localhost:5173', PAGES: 'off' });
    expect(config).toMatchObject({ loginCookie: 'always', cookieSecure: false, allowedOrigins: ['https://app.example.com', 'http://localhost:5173'], pages: false });
  });

  it('refuses a wrong cookie mode, an origin with a path, and COOKIE_SECURE=false in production', () => {
    expect(problems(() => loadConfig({ LOGIN_COOKIE: 'sometimes', ALLOWED_ORIGINS: 'https://app.example.com/login' }))).toEqual([
      'LOGIN_COOKIE must be one of off, optional, always',
      'ALLOWED_ORIGINS must list origins such as https://app.example.com (scheme, host, port; no path)',
    ]);
    expect(problems(() => loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEYS: 'k:x', COOKIE_SECURE: 'false' }))).toContain(
      'COOKIE_SECURE may be off only outside production (plain-HTTP development)',
    );
  });

  it('read ZATO_COMPAT: off by default, a boolean, and not a Tessera option (the module takes it as zatoCompat)', () => {
    expect(loadConfig({}).zatoCompat).toBe(false);
    expect(loadConfig({ ZATO_COMPAT: 'true' }).zatoCompat).toBe(true);
    expect(problems(() => loadConfig({ ZATO_COMPAT: 'sometimes' }))).toEqual(['ZATO_COMPAT must be true or false, got "sometimes"']);
    expect(tesseraOptions({ ...loadConfig({ ZATO_COMPAT: 'true' }), databaseUrl: 'postgres://x' })).not.toHaveProperty('zatoCompat');
  });

  it('read the sign-up settings: off by default, apps from SSO_APPS only', () => {
    expect(loadConfig({})).toMatchObject({ signupApps: [], signupApprovalRequired: true, signupTokenTtlSeconds: 86400 });
    expect(loadConfig({ SSO_APPS: 'crm,web', SIGNUP_APPS: ' web ', SIGNUP_APPROVAL_REQUIRED: 'false', SIGNUP_TOKEN_TTL: '600' }))
      .toMatchObject({ signupApps: ['web'], signupApprovalRequired: false, signupTokenTtlSeconds: 600 });
    expect(problems(() => loadConfig({ SSO_APPS: 'crm', SIGNUP_APPS: 'web', SIGNUP_APPROVAL_REQUIRED: 'maybe', SIGNUP_TOKEN_TTL: '0' })).sort()).toEqual([
      'SIGNUP_APPROVAL_REQUIRED must be true or false, got "maybe"',
      'SIGNUP_APPS must list only applications of SSO_APPS',
      'SIGNUP_TOKEN_TTL must be a whole number of at least 1',
    ]);
  });

  it('read the user lifecycle settings: TOTP replay protection, expiry warning, reset token lifetime', () => {
    expect(loadConfig({})).toMatchObject({ totpReplayProtection: true, passwordExpiryWarningDays: 30, passwordResetTtlSeconds: 3600 });
    expect(loadConfig({ TOTP_REPLAY_PROTECTION: 'false', PASSWORD_EXPIRY_WARNING_DAYS: '0', PASSWORD_RESET_TTL: '600' })).toMatchObject({
      totpReplayProtection: false, passwordExpiryWarningDays: 0, passwordResetTtlSeconds: 600,
    });
    expect(problems(() => loadConfig({ TOTP_REPLAY_PROTECTION: 'maybe', PASSWORD_EXPIRY_WARNING_DAYS: '-1', PASSWORD_RESET_TTL: '59' })).sort()).toEqual([
      'PASSWORD_EXPIRY_WARNING_DAYS must be a whole number, got "-1"',
      'PASSWORD_RESET_TTL must be a whole number of at least 60',
      'TOTP_REPLAY_PROTECTION must be true or false, got "maybe"',
    ]);
  });

  it('refuses SESSION_MAX_TTL below SESSION_TTL', () => {
    expect(problems(() => loadConfig({ SESSION_TTL: '100', SESSION_MAX_TTL: '50' }))).toEqual([
      'SESSION_MAX_TTL must not be smaller than SESSION_TTL',
    ]);
  });
});

describe('module options', () => {
  it('are checked by their option names, with unknown options refused', () => {
    const lines = problems(() =>
      resolveOptions({ databaseUrl: 'postgres://h/db', apps: [], sessionIdleTimeoutSeconds: 1.5, attrEncryptDefault: 'yes', colour: 'blue' } as never),
    );
    expect(lines.sort()).toEqual(
      [
        'colour is not a Tessera option',
        'apps must list at least one application name (letters, digits, _.:-)',
        'sessionIdleTimeoutSeconds must be a whole number of at least 1',
        'attrEncryptDefault must be true or false',
      ].sort(),
    );
  });

  it('fill in defaults, the direct URL from the database URL, and cap the touch interval at half the idle time', () => {
    const config = resolveOptions({ databaseUrl: 'postgres://h/db', sessionIdleTimeoutSeconds: 30 });
    expect(config).toMatchObject({ directDatabaseUrl: 'postgres://h/db', sessionTouchIntervalSeconds: 15, dbPoolSize: 10, migrationsRun: false });
  });
});
