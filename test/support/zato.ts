import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NewUser } from '../../src';
import { createUser, PASSWORD, startTestApp, TestApp } from './test-app';

/** A timestamp as Zato writes it: UTC, no offset, microseconds only when there are any. */
export const ZATO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/;

export interface ZatoAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

/** The service with Zato's surface on, as Zato's clients need it: TOTP codes may be reused within their step. */
export function startZatoApp(overrides: Record<string, string> = {}, options: Parameters<typeof startTestApp>[2] = {}): Promise<TestApp> {
  return startTestApp({ ZATO_COMPAT: 'true', TOTP_REPLAY_PROTECTION: 'false', ...overrides }, [], options);
}

/**
 * A call as Zato's own client makes it: the body as raw JSON on any method, GET and DELETE included,
 * and no Content-Type header (unless `headers` gives one). A string body is sent as it is; a path
 * starting with `/` is taken as it is, others are under `/zato/sso/`.
 */
export async function zato(t: TestApp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ZatoAnswer> {
  const server = t.app.getHttpServer() as http.Server;
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1', port, method, path: path.startsWith('/') ? path : `/zato/sso/${path}`,
        headers: { ...(payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(payload)) }), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed, text });
        });
      },
    );
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

/** Logs in over Zato's login; throws unless it answered a UST. */
export async function zatoLogin(t: TestApp, username: string, password = PASSWORD, app = 'crm'): Promise<string> {
  const res = await zato(t, 'POST', 'user/login', { username, password, current_app: app });
  if (res.status !== 200 || typeof res.body?.ust !== 'string') throw new Error(`Zato login of ${username} failed: ${res.status} ${res.text}`);
  return res.body.ust;
}

/** A user logged in over Zato's login: `{user, ust}`. */
export async function zatoUser(t: TestApp, fields: Partial<NewUser> = {}) {
  const user = await createUser(t, fields);
  return { user, ust: await zatoLogin(t, user.username, user.password) };
}

/** Zato's error envelope with one code, as HTTP 403. */
export function expectZatoError(res: ZatoAnswer, code: string, status = 403) {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { cid: expect.any(String), status: 'error', sub_status: [code] } });
}

/** Zato's 400 for a missing required field. */
export function expectBadRequest(res: ZatoAnswer) {
  expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { result: 'Error', cid: expect.any(String), details: 'Bad request' } });
}

/** Zato's success envelope; answers the body. */
export function expectOk(res: ZatoAnswer) {
  expect({ status: res.status, envelope: { cid: res.body?.cid, status: res.body?.status } }).toEqual({
    status: 200, envelope: { cid: expect.any(String), status: 'ok' },
  });
  return res.body;
}
