import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes from the CSPRNG: 256 bits, URL-safe base64 (43 characters). */
export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Only SHA-256 of the UST is stored, so a leaked database or backup holds no usable token. A plain
 * fast hash is enough (no salt, no argon2): the token already has 256 bits of entropy, nothing to guess.
 */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A UST as issued is 43 base64url characters; anything else cannot be one and needs no lookup. */
export function isWellFormedToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
