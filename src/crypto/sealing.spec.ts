import { attrAssociatedData, openValue, sealValue, sealWithNonce } from './sealing';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const key = hex('01' + '00'.repeat(31));
const nonce = hex('03' + '00'.repeat(11));

describe('sealing (AES-256-GCM-SIV)', () => {
  // RFC 8452, appendix C.2 (AEAD_AES_256_GCM_SIV).
  it.each([
    ['', '', '07f5f4169bbf55a8400cd47ea6fd400f'],
    ['0100000000000000', '', 'c2ef328e5c71c83b843122130f7364b761e0b97427e3df28'],
    ['010000000000000000000000', '', '9aab2aeb3faa0a34aea8e2b18ca50da9ae6559e48fd10f6e5c9ca17e'],
    ['0200000000000000', '01', '1de22967237a813291213f267e3b452f02d01ae33e4ec854'],
  ])('matches the RFC 8452 vector for plaintext %p with AAD %p', (plaintext, aad, expected) => {
    const sealed = sealWithNonce(key, nonce, hex(plaintext), hex(aad));
    expect(sealed.subarray(12).toString('hex')).toBe(expected);
    expect(sealed.subarray(0, 12)).toEqual(Buffer.from(nonce));
    expect(openValue(key, sealed, hex(aad)).toString('hex')).toBe(plaintext);
  });

  it('uses a fresh nonce for every value', () => {
    const ad = attrAssociatedData('session', 'a', 'n');
    const a = sealValue(key, Buffer.from('same'), ad);
    const b = sealValue(key, Buffer.from('same'), ad);
    expect(a.equals(b)).toBe(false);
    expect(openValue(key, a, ad).toString()).toBe('same');
  });

  it('refuses a value sealed for another owner, name or kind', () => {
    const sealed = sealValue(key, Buffer.from('"secret"'), attrAssociatedData('session', 'owner-1', 'cart'));
    expect(() => openValue(key, sealed, attrAssociatedData('session', 'owner-2', 'cart'))).toThrow();
    expect(() => openValue(key, sealed, attrAssociatedData('session', 'owner-1', 'cart2'))).toThrow();
    expect(() => openValue(key, sealed, attrAssociatedData('user', 'owner-1', 'cart'))).toThrow();
  });

  it('refuses a tampered ciphertext and a wrong key', () => {
    const ad = attrAssociatedData('user', 'u', 'n');
    const sealed = sealValue(key, Buffer.from('{"a":1}'), ad);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => openValue(key, tampered, ad)).toThrow();
    expect(() => openValue(hex('02' + '00'.repeat(31)), sealed, ad)).toThrow();
  });
});
