import type {
  AttrMetaResponse as AttrMeta,
  AttrResponse as Attr,
  CreateAttrBody,
  ExpiryBatchItem,
  JsonValue,
  UpdateAttrBody,
  UpdateBatchItem,
} from './api-types.ts';
import { TesseraClientError } from './errors.ts';
import type { Transport } from './transport.ts';

/** `{expiration, encrypt}` of a write: seconds from now (`null`: none), seal at rest. */
export type WriteOptions = Pick<CreateAttrBody, 'expiration' | 'encrypt'>;
export type AttrItem = CreateAttrBody & { value: JsonValue };
export type UpdateItem = UpdateBatchItem;
export type ExpiryItem = ExpiryBatchItem;

/**
 * The attribute API of one owner: a session (`current` or an id) or a user (`me` or an id). Each
 * method is one HTTP call; the batch methods are all-or-nothing on the server.
 */
export class AttrStore {
  private readonly kind: 'sessionAttr' | 'userAttr';

  constructor(
    private readonly transport: Transport,
    private readonly ust: () => string,
    owner: 'session' | 'user',
    /** `current`/`me`, or a UUID. */
    readonly ownerId: string,
  ) {
    this.kind = owner === 'session' ? 'sessionAttr' : 'userAttr';
  }

  // Session and user attribute routes have the same shapes; the session ones stand for both in the types.
  private call<Op extends 'create' | 'createMany' | 'setMany' | 'updateMany' | 'setExpiryMany' | 'getMany' | 'existsMany' | 'deleteMany' | 'list' | 'get' | 'set' | 'update' | 'delete'>(
    op: Op,
    name: string | undefined,
    body?: unknown,
  ) {
    const id = `${this.kind}_${op}` as `sessionAttr_${Op}`;
    const params = name === undefined ? { id: this.ownerId } : { id: this.ownerId, name };
    return this.transport.call(id, { params, body, ust: this.ust() } as never) as Promise<import('./api-types.ts').Operations[`sessionAttr_${Op}`]['response']>;
  }

  /** Fails with `attr_exists` if a live attribute of that name exists. */
  create(name: string, value: JsonValue, options: WriteOptions = {}): Promise<AttrMeta> {
    return this.call('create', undefined, { name, value, ...options });
  }

  async createMany(items: AttrItem[], defaults: WriteOptions = {}): Promise<AttrMeta[]> {
    return (await this.call('createMany', undefined, { data: items, ...defaults })).attrs;
  }

  /** Creates or replaces. */
  set(name: string, value: JsonValue, options: WriteOptions = {}): Promise<AttrMeta> {
    return this.call('set', name, { value, ...options });
  }

  async setMany(items: AttrItem[], defaults: WriteOptions = {}): Promise<AttrMeta[]> {
    return (await this.call('setMany', undefined, { data: items, ...defaults })).attrs;
  }

  /** Changes a live attribute (`attr_not_found` otherwise): any of value, expiration (`null` removes it), encrypt. */
  update(name: string, changes: UpdateAttrBody): Promise<AttrMeta> {
    return this.call('update', name, changes);
  }

  async updateMany(items: UpdateItem[], defaults: WriteOptions = {}): Promise<AttrMeta[]> {
    return (await this.call('updateMany', undefined, { data: items, ...defaults })).attrs;
  }

  /** The attribute, or `null` when there is no live one of that name. */
  async get(name: string): Promise<Attr | null> {
    try {
      return await this.call('get', name);
    } catch (error) {
      if (error instanceof TesseraClientError && error.code === 'attr_not_found') return null;
      throw error;
    }
  }

  /** One entry per name, in the order asked; `null` for a missing one. */
  async getMany(names: string[]): Promise<Array<Attr | null>> {
    return (await this.call('getMany', undefined, { data: names })).attrs;
  }

  /** Asked through the batch route, so a missing owner is an error and not a `false`. */
  async exists(name: string): Promise<boolean> {
    return (await this.existsMany([name]))[0];
  }

  async existsMany(names: string[]): Promise<boolean[]> {
    return (await this.call('existsMany', undefined, { data: names })).exists;
  }

  /** Live names, sorted. */
  async names(): Promise<string[]> {
    return (await this.list()).map((meta) => meta.name);
  }

  /** Metadata of the live attributes, sorted by name, no values. */
  async list(): Promise<AttrMeta[]> {
    return (await this.call('list', undefined)).attrs;
  }

  /** Fails with `attr_not_found` if there is none. */
  async delete(name: string): Promise<void> {
    await this.call('delete', name);
  }

  async deleteMany(names: string[]): Promise<void> {
    await this.call('deleteMany', undefined, { data: names });
  }

  /** Seconds from now, or `null` to remove the attribute's own expiry. */
  setExpiry(name: string, expiration: number | null): Promise<AttrMeta> {
    return this.call('update', name, { expiration });
  }

  async setExpiryMany(items: ExpiryItem[]): Promise<AttrMeta[]> {
    return (await this.call('setExpiryMany', undefined, { data: items })).attrs;
  }
}
