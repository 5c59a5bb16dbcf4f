import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/options';
import { loadConfig } from '../config/env';
import { loadKeyRing, parseKeyRing } from './key-ring';

const k = (byte: number) => Buffer.alloc(32, byte).toString('base64');

describe('key ring', () => {
  it('takes the first key as current and keeps the others for opening', () => {
    const ring = parseKeyRing(`new:${k(2)}, old:${k(1)}`);
    expect(ring.current.id).toBe('new');
    expect(ring.current.key).toEqual(Buffer.alloc(32, 2));
    expect(ring.byId.get('old')).toEqual(Buffer.alloc(32, 1));
  });

  it.each([
    ['', 'holds no key'],
    [`:${k(1)}`, 'id:base64key'],
    ['short:AAAA', '32 bytes'],
    [`a:${k(1)},a:${k(2)}`, 'twice'],
  ])('rejects %p', (text, message) => {
    expect(() => parseKeyRing(text)).toThrow(ConfigError);
    expect(() => parseKeyRing(text)).toThrow(message);
  });

  it('refuses to start in production without keys', () => {
    expect(() => loadKeyRing(loadConfig({ NODE_ENV: 'production' }))).toThrow('ENCRYPTION_KEYS must be set in production');
  });

  it('generates a development key once and keeps it, readable by the owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
    const config = loadConfig({ DATA_DIR: dir });
    const first = loadKeyRing(config);
    const second = loadKeyRing(config);
    expect(second.current.key).toEqual(first.current.key);
    expect(readFileSync(join(dir, 'encryption-key'), 'utf8')).toContain('dev1:');
    expect(statSync(join(dir, 'encryption-key')).mode & 0o077).toBe(0);
  });
});
