#!/usr/bin/env node
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ConfigError,
  KeyRotationService,
  ServiceConfig,
  SweeperService,
  tesseraOptions,
  TesseraError,
  TesseraModule,
  UsersService,
} from '../index';
import { openServiceDatabase } from './service-database';

const USAGE = `usage: npm run cli -- <command>   (or, where Tessera is installed as a package: npx tessera <command>)
  migrate                       apply pending database migrations
  create-super-user <username>  create a super-user (password from SSO_PASSWORD or standard input)
  purge                         delete expired sessions and attributes now
  rotate-keys [batch-size]      re-seal encrypted attributes with the newest key of ENCRYPTION_KEYS`;

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

async function withContext<T>(config: ServiceConfig, work: (ctx: INestApplicationContext) => Promise<T>): Promise<T> {
  const ctx = await NestFactory.createApplicationContext(TesseraModule.forRoot({ ...tesseraOptions(config), sweepIntervalSeconds: 0 }), {
    logger: ['error', 'warn'],
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
  if (!['migrate', 'create-super-user', 'purge', 'rotate-keys'].includes(command)) {
    out(`unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  const { config, embedded, applied } = await openServiceDatabase(out);
  try {
    if (command === 'migrate') {
      out(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
      return 0;
    }
    if (command === 'create-super-user') {
      const username = args[0];
      if (!username) {
        out('create-super-user needs a username');
        return 2;
      }
      const password = await readPassword();
      return await withContext(config, async (ctx) => {
        try {
          const user = await ctx.get(UsersService).create({ username, password, isSuperUser: true });
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
