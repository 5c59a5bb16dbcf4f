import type { LoginDto, LoginResponse } from './api-types.ts';
import { type SessionHandleOptions, TesseraSession, Timers } from './session.ts';
import { Transport } from './transport.ts';

export interface TesseraClientOptions {
  /** Where Tessera answers, e.g. `https://sso.example.com`. */
  baseUrl: string;
  /** Default `currentApp` of logins, also sent as X-Current-App on authenticated calls. */
  currentApp?: string;
  /** A fetch of your own (tests, proxies); default: the global one. */
  fetch?: typeof fetch;
}

/** The login body; `cookie` is left out: this client carries the UST itself. */
export type Credentials = Omit<LoginDto, 'currentApp' | 'cookie'> & { currentApp?: string };

/** The entry point: logs in, or attaches to a session by its UST. */
export class TesseraClient {
  private readonly transport: Transport;
  private readonly timers = new Timers();

  constructor(private readonly options: TesseraClientOptions) {
    this.transport = new Transport(options);
  }

  /** Renewal timers this client holds right now (0 once every auto-renewing session is closed). */
  get pendingTimers(): number {
    return this.timers.count;
  }

  /** Logs in; the answer carries the UST, the session and any warnings (`password_expiring`). */
  async loginRaw(credentials: Credentials): Promise<LoginResponse> {
    const currentApp = credentials.currentApp ?? this.options.currentApp;
    if (!currentApp) throw new TypeError('currentApp is required (in the credentials or the client options)');
    return this.transport.call('auth_login', { body: { ...credentials, currentApp } });
  }

  /** Logs in and returns a session handle; no background renewal unless `autoRenew: true`. */
  async login(credentials: Credentials, options: SessionHandleOptions = {}): Promise<TesseraSession> {
    const { ust, session } = await this.loginRaw(credentials);
    // A login that asked for the session cookie has no UST in its body: there is nothing to hold.
    if (ust === undefined) throw new TypeError('the login answered without a UST (cookie: true): use loginRaw');
    return new TesseraSession(this.transport, this.timers, ust, session, options);
  }

  /**
   * Logs in for a scope: `await using session = await client.openSession(credentials)`. The session
   * renews itself in the background until it is closed (logged out) at the end of the scope.
   */
  openSession(credentials: Credentials, options: SessionHandleOptions = {}): Promise<TesseraSession> {
    return this.login(credentials, { autoRenew: true, ...options });
  }

  /** Attaches to an existing session by its UST (checked with one call); no renewal unless asked. */
  async connectToSession(ust: string, options: SessionHandleOptions = {}): Promise<TesseraSession> {
    const session = await this.transport.call('sessions_current', { ust });
    return new TesseraSession(this.transport, this.timers, ust, session, options);
  }

  /** Same as `connectToSession`: picks up a session another process (or an earlier run) opened. */
  reattach(ust: string, options: SessionHandleOptions = {}): Promise<TesseraSession> {
    return this.connectToSession(ust, options);
  }
}
