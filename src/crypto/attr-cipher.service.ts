import { Inject, Injectable, Logger } from '@nestjs/common';
import { TesseraError } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { KeyRing, loadKeyRing } from './key-ring';
import { attrAssociatedData, openValue, sealValue } from './sealing';

export interface SealedValue {
  sealed: Buffer;
  keyId: string;
}

/** Seals and opens attribute values (their JSON text) with the configured key ring. */
@Injectable()
export class AttrCipher {
  private readonly logger = new Logger('AttrCipher');
  readonly ring: KeyRing;

  constructor(@Inject(TESSERA_CONFIG) config: TesseraConfig) {
    this.ring = loadKeyRing(config, (line) => this.logger.warn(line));
  }

  seal(ownerKind: string, ownerId: string, name: string, json: string): SealedValue {
    const { id, key } = this.ring.current;
    return { sealed: sealValue(key, Buffer.from(json, 'utf8'), attrAssociatedData(ownerKind, ownerId, name)), keyId: id };
  }

  /** The JSON text of a sealed value; a value that does not open is a server-side fault, said plainly. */
  open(ownerKind: string, ownerId: string, name: string, sealed: Buffer, keyId: string): string {
    const key = this.ring.byId.get(keyId);
    try {
      if (!key) throw new Error('unknown key id');
      return openValue(key, sealed, attrAssociatedData(ownerKind, ownerId, name)).toString('utf8');
    } catch {
      this.logger.error(`attribute "${name}" of ${ownerKind} ${ownerId} does not decrypt with key "${keyId}"`);
      throw new TesseraError(
        'attr_decrypt_failed',
        key
          ? 'a stored attribute value failed to decrypt: it was altered or moved from another row'
          : `a stored attribute value is sealed with key "${keyId}", which is not in ENCRYPTION_KEYS`,
      );
    }
  }
}
