import { Errors, TesseraError } from '../common/tessera-error';
import { isUuid } from '../common/uuid';
import type { OwnerKind } from './attr-sql';
import type { AttrRow, StatementTarget } from './attr-statements';
import type { OwnerRef } from './attr.types';

/**
 * How an attribute call reaches its owner: the statement target, the check of the statement's head
 * row (is the owner there, may this caller use it), and the owner id a sealed value is bound to.
 * In-process calls use `directAccess`; the REST transport builds its own (caller-access.ts).
 */
export interface OwnerAccess {
  readonly kind: OwnerKind;
  readonly target: StatementTarget;
  admit(head: AttrRow): void;
  sealingOwnerId(): Promise<string>;
}

export function ownerNotFound(kind: OwnerKind): TesseraError {
  return kind === 'session' ? Errors.sessionNotFound() : Errors.userNotFound();
}

export function isOwnerAccess(owner: unknown): owner is OwnerAccess {
  return typeof owner === 'object' && owner !== null && 'target' in owner && 'admit' in owner;
}

/** A session or user the calling code names itself, trusted: the calling module decided already. */
export function directAccess(kind: OwnerKind, owner: OwnerRef): OwnerAccess {
  const id = typeof owner === 'string' ? owner : owner?.id;
  if (!isUuid(id)) throw ownerNotFound(kind);
  const ownerId = id.toLowerCase();
  return {
    kind,
    target: { mode: 'direct', ownerId },
    admit(head) {
      if (!head.owner_id) throw ownerNotFound(kind);
    },
    sealingOwnerId: async () => ownerId,
  };
}
