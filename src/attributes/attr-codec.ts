import { TesseraConfig } from '../config/options';
import { AttrCipher } from '../crypto/attr-cipher.service';
import type { OwnerKind } from './attr-sql';
import type { AttrRow } from './attr-statements';
import type { JsonValue, WriteOptions } from './attr.types';
import { serializeValue } from './attr-validation';

/** A value as stored: its JSON text, or that text sealed under a key of the ring. */
export interface StoredValue {
  value: string | null;
  sealed: Buffer | null;
  keyId: string | null;
}

/**
 * Turns values into what is stored and back: JSON text within the size limit, sealed when asked,
 * bound to its owner and name. The plaintext of a sealed value never leaves the process.
 */
export class AttrCodec {
  constructor(
    private readonly kind: OwnerKind,
    private readonly cipher: AttrCipher,
    private readonly config: TesseraConfig,
  ) {}

  /** Whether an item is sealed: its own `encrypt`, else the call's, else `ATTR_ENCRYPT_DEFAULT`. */
  encrypts(item: WriteOptions, defaults: WriteOptions): boolean {
    return item.encrypt ?? defaults.encrypt ?? this.config.attrEncryptDefault;
  }

  /** `ownerId` may be null only when nothing is sealed. */
  encode(ownerId: string | null, item: { name: string; value?: unknown } & WriteOptions, defaults: WriteOptions): StoredValue {
    const json = serializeValue(item.value, item.name, this.config.attrMaxValueBytes);
    if (!this.encrypts(item, defaults)) return { value: json, sealed: null, keyId: null };
    const { sealed, keyId } = this.cipher.seal(this.kind, ownerId!, item.name, json);
    return { value: null, sealed, keyId };
  }

  decode(row: AttrRow): JsonValue {
    const json = row.sealed ? this.cipher.open(this.kind, row.owner_id!, row.name!, row.sealed, row.key_id!) : row.value!;
    return JSON.parse(json) as JsonValue;
  }
}
