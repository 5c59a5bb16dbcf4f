import { OPERATIONS, type ErrorCode, type Operations } from './api-types.ts';
import { TesseraClientError } from './errors.ts';

export type OperationId = keyof Operations;

type Args<K extends OperationId> = (keyof Operations[K]['params'] extends never ? { params?: undefined } : { params: Operations[K]['params'] }) &
  (Operations[K]['body'] extends undefined ? { body?: undefined } : { body: Operations[K]['body'] }) & {
    query?: Operations[K]['query'];
    ust?: string;
  };

export interface TransportOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  /** Sent as X-Current-App on authenticated calls. */
  currentApp?: string;
}

/** One HTTP call per operation, typed by the generated `Operations`; errors become TesseraClientError. */
export class Transport {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async call<K extends OperationId>(id: K, args: Args<K>): Promise<Operations[K]['response']> {
    const { method, path } = OPERATIONS[id];
    const params = (args.params ?? {}) as Record<string, string>;
    let url = this.baseUrl + path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]));
    const query = Object.entries((args.query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (query.length) url += `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)]))}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (args.ust !== undefined) headers.authorization = `Bearer ${args.ust}`;
    if (args.ust !== undefined && this.options.currentApp) headers['x-current-app'] = this.options.currentApp;
    if (args.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body: args.body === undefined ? undefined : JSON.stringify(args.body) });
    } catch (error) {
      throw new TesseraClientError('network_error', 0, `${method} ${path}: the server could not be reached`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) throw errorOf(response.status, text, `${method} ${path}`);
    if (!text) return undefined as Operations[K]['response'];
    try {
      return JSON.parse(text) as Operations[K]['response'];
    } catch {
      throw new TesseraClientError('unexpected_response', response.status, `${method} ${path}: the answer is not JSON`);
    }
  }
}

function errorOf(status: number, text: string, what: string): TesseraClientError {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') {
      return new TesseraClientError(body.code as ErrorCode, status, typeof body.message === 'string' ? body.message : what);
    }
  } catch {
    // not Tessera's error body: a proxy's page, for example
  }
  return new TesseraClientError('unexpected_response', status, `${what}: HTTP ${status}`);
}
