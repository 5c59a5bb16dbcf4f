#!/usr/bin/env node
import 'reflect-metadata';
import { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ConfigError,
  KeyRotationService,
  PasswordResetService,
  ServiceConfig,
  SweeperService,
  tesseraOptions,
  TesseraError,
  TesseraModule,
  TotpService,
  UsersService,
} from '../index';
import { openServiceDatabase } from './service-database';

const USAGE = `usage: npm run cli -- <command>   (or, where Tessera is installed as a package: npx tessera <command>)
  migrate                       apply pending database migrations
  create-super-user <username> [--email <address>]
                                create a super-user (password from SSO_PASSWORD or standard input)
  purge                         delete expired sessions and attributes now
  rotate-keys [batch-size]      re-seal encrypted attributes and TOTP secrets with the newest key of ENCRYPTION_KEYS
  password-reset-token <username>
                                print a fresh password reset token for the user (only the token, on stdout)
  totp-reset <username> [--key <base32>]
                                set the user's TOTP key, or generate one and print it (key, then otpauth URI)
exit status: 0 done, 1 failed (no such user, ...), 2 usage error`;

function out(line: string) {
  process.stdout.write(`${line}\n`);
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.SSO_PASSWORD;
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) process.stderr.write('password (input is shown): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && chunk.includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A usage problem: said with the usage, exit status 2. */
function usageError(problem: string): number {
  out(`${problem}\n${USAGE}`);
  return 2;
}

/** Progress for commands whose stdout carries only a secret (a token, a key): it goes to stderr. */
function say(line: string) {
  process.stderr.write(`${line}\n`);
}

// --- user lifecycle (issue 9): password-reset-token, totp-reset ---

type LifecycleCommand = { command: 'password-reset-token'; username: string } | { command: 'totp-reset'; username: string; key?: string };

/** The parsed arguments of a lifecycle command, a usage problem as text, or undefined for other commands. */
function lifecycleArgs(command: string, args: string[]): LifecycleCommand | string | undefined {
  if (command !== 'password-reset-token' && command !== 'totp-reset') return undefined;
  const [username, ...rest] = args;
  if (!username || username.startsWith('--')) return `${command} needs a username`;
  if (command === 'password-reset-token') return rest.length ? `password-reset-token takes only a username` : { command, username };
  if (rest.length === 0) return { command, username };
  if (rest.length === 2 && rest[0] === '--key' && rest[1]) return { command, username, key: rest[1] };
  return 'totp-reset takes a username and optionally --key <base32>';
}

/** `create-super-user <username> [--email <address>]` (the password never on the command line). */
function superUserArgs(args: string[]): { username: string; email?: string } | string {
  const [username, ...rest] = args;
  if (!username || username.startsWith('--')) return 'create-super-user needs a username';
  if (rest.length === 0) return { username };
  if (rest.length === 2 && rest[0] === '--email' && rest[1]) return { username, email: rest[1] };
  return 'create-super-user takes a username and optionally --email <address> (the password comes from SSO_PASSWORD or standard input)';
}

async function runLifecycle(ctx: INestApplicationContext, run: LifecycleCommand): Promise<number> {
  if (run.command === 'password-reset-token') {
    const issued = await ctx.get(PasswordResetService).issueToken(run.username);
    if (!issued) {
      say(`no user ${run.username}`);
      return 1;
    }
    out(issued.token);
    say(`password reset token for user ${issued.userId}, valid until ${issued.expiresAt.toISOString()}`);
    return 0;
  }
  const user = await ctx.get(UsersService).findForLogin(run.username);
  if (!user) {
    say(`no user ${run.username}`);
    return 1;
  }
  try {
    const enrollment = await ctx.get(TotpService).enable(user.id, run.key);
    if (run.key === undefined) out(`${enrollment.key}\n${enrollment.uri}`);
    say(`TOTP ${run.key === undefined ? 'key generated' : 'key set'} for user ${user.id}`);
    return 0;
  } catch (error) {
    if (error instanceof TesseraError && error.code === 'validation_failed') {
      say(error.message);
      return 2;
    }
    throw error;
  }
}

/** Warnings and errors, all on stderr: stdout stays for what a command prints (a token or key). */
const stderrLogger: LoggerService = {
  log: () => undefined,
  warn: (message: unknown) => say(`warning: ${String(message)}`),
  error: (message: unknown) => say(`error: ${String(message)}`),
};

async function withContext<T>(config: ServiceConfig, work: (ctx: INestApplicationContext) => Promise<T>, quietStdout = false): Promise<T> {
  const ctx = await NestFactory.createApplicationContext(TesseraModule.forRoot({ ...tesseraOptions(config), sweepIntervalSeconds: 0 }), {
    logger: quietStdout ? stderrLogger : ['error', 'warn'],
  });
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    out(USAGE);
    return command ? 0 : 2;
  }
  if (!['migrate', 'create-super-user', 'purge', 'rotate-keys', 'password-reset-token', 'totp-reset'].includes(command)) {
    out(`unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  // Arguments are checked before the database opens: a usage error changes nothing.
  const lifecycle = lifecycleArgs(command, args);
  if (typeof lifecycle === 'string') return usageError(lifecycle);
  const superUser = command === 'create-super-user' ? superUserArgs(args) : undefined;
  if (typeof superUser === 'string') return usageError(superUser);
  const { config, embedded, applied } = await openServiceDatabase(lifecycle ? say : out);
  try {
    if (command === 'migrate') {
      out(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
      return 0;
    }
    if (superUser) {
      const { username, email } = superUser;
      const password = await readPassword();
      return await withContext(config, async (ctx) => {
        try {
          const user = await ctx.get(UsersService).create({ username, password, email, isSuperUser: true });
          out(`created super-user ${user.username} (${user.id})`);
          return 0;
        } catch (error) {
          if (error instanceof TesseraError) {
            out(error.code === 'user_exists' ? `user ${username} exists` : error.message);
            return 1;
          }
          throw error;
        }
      });
    }
    if (lifecycle) return await withContext(config, (ctx) => runLifecycle(ctx, lifecycle), true);
    if (command === 'rotate-keys') {
      const batchSize = args[0] === undefined ? 500 : Number(args[0]);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        out('rotate-keys takes a positive whole batch size');
        return 2;
      }
      return await withContext(config, async (ctx) => {
        const report = await ctx.get(KeyRotationService).rotate(batchSize);
        out(`re-sealed ${report.rotated}, failed ${report.failed}, left under older keys ${report.remaining}`);
        return report.failed > 0 || report.remaining > 0 ? 1 : 0;
      });
    }
    return await withContext(config, async (ctx) => {
      const totals = await ctx.get(SweeperService).sweepAll();
      out(`purged: ${Object.entries(totals).map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
      return 0;
    });
  } finally {
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    // A settings problem lists every wrong setting; anything else only its first line (no details).
    const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message.split('\n')[0] : 'unknown error';
    for (const line of message.split('\n')) process.stderr.write(`tessera: ${line}\n`);
    process.exit(1);
  },
);
