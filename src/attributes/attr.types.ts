/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a client sees of an attribute without its value. */
export interface AttrMeta {
  name: string;
  encrypted: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** The earlier of the attribute's own expiry and, for a session attribute, its session's. */
  expiresAt: Date | null;
}

export interface Attr extends AttrMeta {
  value: JsonValue;
}

export interface WriteOptions {
  /** Seconds from now; `null` or absent: no own expiry. */
  expiration?: number | null;
  /** Seal the value at rest; absent: `ATTR_ENCRYPT_DEFAULT`. */
  encrypt?: boolean;
}

export interface AttrItem extends WriteOptions {
  name: string;
  value: JsonValue;
}

/** An update: `value` absent leaves the value, `expiration` absent leaves the expiry, `null` removes it. */
export interface UpdateItem extends WriteOptions {
  name: string;
  value?: JsonValue;
}

export interface ExpiryItem {
  name: string;
  expiration: number | null;
}

/** A session or user, by id or as an object carrying its id (a `SessionView`, a `UserView`). */
export type OwnerRef = string | { id: string };
