import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TesseraConfig, ConfigError } from '../config/options';
import { KEY_BYTES } from './sealing';

export interface KeyRing {
  /** The newest key: every new value is sealed with it. */
  current: { id: string; key: Buffer };
  /** Every key by id, for opening values sealed before a rotation. */
  byId: Map<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/** Parses `ENCRYPTION_KEYS`: `id:base64key` entries, comma-separated, newest first. */
export function parseKeyRing(text: string): KeyRing {
  const byId = new Map<string, Buffer>();
  const ids: string[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    if (colon < 1 || !KEY_ID.test(id)) throw new ConfigError('ENCRYPTION_KEYS entries must look like id:base64key (id: letters, digits, ._-)');
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new ConfigError(`ENCRYPTION_KEYS key "${id}" must be ${KEY_BYTES} bytes of base64`);
    if (byId.has(id)) throw new ConfigError(`ENCRYPTION_KEYS names key "${id}" twice`);
    byId.set(id, key);
    ids.push(id);
  }
  if (ids.length === 0) throw new ConfigError('ENCRYPTION_KEYS holds no key');
  return { current: { id: ids[0], key: byId.get(ids[0])! }, byId };
}

/**
 * The configured key ring. Without `ENCRYPTION_KEYS`, production refuses to start; development
 * generates one key and keeps it under the data directory so values stay readable across restarts.
 */
export function loadKeyRing(
  config: Pick<TesseraConfig, 'encryptionKeys' | 'isProduction' | 'dataDir'>,
  say: (line: string) => void = () => undefined,
): KeyRing {
  if (config.encryptionKeys) return parseKeyRing(config.encryptionKeys);
  if (config.isProduction) {
    throw new ConfigError('ENCRYPTION_KEYS must be set in production (id:base64 of 32 random bytes, newest first)');
  }
  const file = join(config.dataDir, 'encryption-key');
  try {
    const ring = parseKeyRing(readFileSync(file, 'utf8'));
    say(`no encryption keys configured: using the development key in ${file}`);
    return ring;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const text = `dev1:${randomBytes(KEY_BYTES).toString('base64')}`;
  writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  say(`no encryption keys configured: generated a development key in ${file} (production refuses to start without keys)`);
  return parseKeyRing(text);
}
