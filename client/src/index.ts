export { TesseraClient } from './client.ts';
export type { Credentials, TesseraClientOptions } from './client.ts';
export { TesseraSession, renewalDelayMs } from './session.ts';
export type { SessionHandleOptions } from './session.ts';
export { AttrStore } from './attrs.ts';
export type { AttrItem, ExpiryItem, UpdateItem, WriteOptions } from './attrs.ts';
export { TesseraClientError } from './errors.ts';
export type { ClientSideCode } from './errors.ts';
export type * from './api-types.ts';
