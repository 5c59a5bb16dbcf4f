import { gcmsiv } from '@noble/ciphers/aes.js';
import { randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;

/**
 * AES-256-GCM-SIV with the nonce prepended: `nonce || ciphertext || tag`. GCM-SIV is chosen because a
 * repeated random nonce (possible over billions of values under one key) leaks only equality of
 * identical plaintexts, not the key stream as plain GCM would.
 */
export function sealWithNonce(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Buffer {
  const sealed = gcmsiv(key, nonce, associatedData).encrypt(plaintext);
  return Buffer.concat([nonce, sealed]);
}

export function sealValue(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Buffer {
  return sealWithNonce(key, randomBytes(NONCE_BYTES), plaintext, associatedData);
}

/** Opens what `sealValue` produced; throws if the key, the associated data or any byte differ. */
export function openValue(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Buffer {
  if (sealed.length < NONCE_BYTES + 16) throw new Error('sealed value is too short');
  const nonce = sealed.subarray(0, NONCE_BYTES);
  return Buffer.from(gcmsiv(key, nonce, associatedData).decrypt(sealed.subarray(NONCE_BYTES)));
}

/**
 * What a sealed attribute value is bound to. With the owner kind, owner id and name inside the
 * authenticated data, a ciphertext copied to another row (another session, user or name) fails to
 * open instead of returning a value that belongs elsewhere.
 */
export function attrAssociatedData(ownerKind: string, ownerId: string, name: string): Buffer {
  return Buffer.from(`tessera-attr-v1\0${ownerKind}\0${ownerId}\0${name}`, 'utf8');
}

/** What a sealed TOTP secret is bound to: its user. A secret copied to another user's row fails to open. */
export function totpAssociatedData(userId: string): Buffer {
  return Buffer.from(`tessera-totp-v1\0${userId}`, 'utf8');
}
