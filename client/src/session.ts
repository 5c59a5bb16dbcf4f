import type { ChangePasswordDto, ListedSessionResponse, SessionResponse, UpdateProfileDto, UserResponse } from './api-types.ts';
import { AttrStore } from './attrs.ts';
import { TesseraClientError } from './errors.ts';
import type { Transport } from './transport.ts';

// Browsers and runtimes without explicit resource management: `await using` looks this symbol up.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

/** Timers of one client, counted so that tests (and careful hosts) can see none is left behind. */
export class Timers {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();

  get count(): number {
    return this.pending.size;
  }

  set(run: () => void, delayMs: number): ReturnType<typeof setTimeout> {
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      run();
    }, delayMs);
    this.pending.add(handle);
    return handle;
  }

  clear(handle: ReturnType<typeof setTimeout> | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.pending.delete(handle);
  }
}

/** setTimeout holds at most 2^31-1 ms (about 24.8 days). */
const MAX_DELAY_MS = 2_147_483_647;

/**
 * When to renew, given the time left before the idle expiry: a third of it early, at least 200 ms
 * and at most a minute early. With SESSION_TTL=3600 that is a minute before; with 3 s, one second.
 */
export function renewalDelayMs(remainingMs: number): number {
  const lead = Math.min(60_000, Math.max(remainingMs / 3, 200));
  return Math.min(MAX_DELAY_MS, Math.max(0, remainingMs - lead));
}

export interface SessionHandleOptions {
  /** Renew in the background shortly before the idle expiry, while the handle is open. */
  autoRenew?: boolean;
  /** Told once when the session is found to have ended (revoked, expired, logged out elsewhere). */
  onEnded?: (error: TesseraClientError) => void;
}

/**
 * A session on the server, by its UST. `close()` logs it out; `await using session = ...` closes it
 * at the end of the scope. With `autoRenew` it renews itself in the background until closed, until
 * it ends, or until renewing cannot move its expiry any more (the absolute limit).
 */
export class TesseraSession implements AsyncDisposable {
  /** The caller's own session attributes (`/sessions/current/attrs`). */
  readonly attrs: AttrStore;
  /** The caller's own user attributes (`/users/me/attrs`). */
  readonly userAttrs: AttrStore;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<unknown> | undefined;
  private state: 'open' | 'closed' | 'ended' = 'open';

  constructor(
    private readonly transport: Transport,
    private readonly timers: Timers,
    /** The user session token: a secret, like a password. */
    readonly ust: string,
    /** The session as last seen (login, current, renew). */
    public info: SessionResponse,
    private readonly options: SessionHandleOptions = {},
  ) {
    this.attrs = new AttrStore(transport, () => this.ust, 'session', 'current');
    this.userAttrs = new AttrStore(transport, () => this.ust, 'user', 'me');
    if (options.autoRenew) this.schedule();
  }

  get id(): string {
    return this.info.id;
  }

  /** `open` until `close()` (`closed`) or until the server says the session is gone (`ended`). */
  get status(): 'open' | 'closed' | 'ended' {
    return this.state;
  }

  /** Attributes of another session of the caller's (or, for a super-user, anyone's). */
  sessionAttrs(sessionId: string): AttrStore {
    return new AttrStore(this.transport, () => this.ust, 'session', sessionId);
  }

  /** Attributes of another user (super-user). */
  userAttrsOf(userId: string): AttrStore {
    return new AttrStore(this.transport, () => this.ust, 'user', userId);
  }

  // ---- sessions ----

  async current(): Promise<SessionResponse> {
    return (this.info = await this.call(() => this.transport.call('sessions_current', { ust: this.ust })));
  }

  /** Moves `expiresAt` to now + SESSION_TTL (capped by `absoluteExpiresAt`). */
  async renew(): Promise<SessionResponse> {
    this.info = await this.call(() => this.transport.call('sessions_renew', { ust: this.ust }));
    if (this.options.autoRenew && this.state === 'open') this.schedule();
    return this.info;
  }

  /** The user's live sessions (`current: true` marks this one); a super-user may name another user. */
  async list(userId?: string): Promise<ListedSessionResponse[]> {
    return (await this.call(() => this.transport.call('sessions_list', { ust: this.ust, query: { userId } }))).sessions;
  }

  async revoke(sessionId: string): Promise<void> {
    await this.call(() => this.transport.call('sessions_revoke', { ust: this.ust, params: { id: sessionId } }));
  }

  /** Ends all the user's sessions, or all but this one. */
  async revokeAll(options: { keepCurrent?: boolean } = {}): Promise<void> {
    await this.call(() => this.transport.call('sessions_revokeAll', { ust: this.ust, query: { keepCurrent: options.keepCurrent } }));
  }

  // ---- the user ----

  me(): Promise<UserResponse> {
    return this.call(() => this.transport.call('users_me', { ust: this.ust }));
  }

  updateMe(changes: UpdateProfileDto): Promise<UserResponse> {
    return this.call(() => this.transport.call('users_updateMe', { ust: this.ust, body: changes }));
  }

  /** The user's other sessions end. */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    const body: ChangePasswordDto = { oldPassword, newPassword };
    await this.call(() => this.transport.call('users_changePassword', { ust: this.ust, body }));
  }

  // ---- ending ----

  /** Stops background renewal without logging out (the session lives on until it expires). */
  async detach(): Promise<void> {
    if (this.state === 'open') this.state = 'closed';
    await this.stop();
  }

  /** Logs out and stops renewing; a session that already ended closes quietly. Safe to call twice. */
  async close(): Promise<void> {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    await this.stop();
    if (!wasOpen) return;
    try {
      await this.transport.call('auth_logout', { ust: this.ust });
    } catch (error) {
      if (!(error instanceof TesseraClientError && error.code === 'session_invalid')) throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async stop(): Promise<void> {
    this.timers.clear(this.timer);
    this.timer = undefined;
    await this.renewing?.catch(() => undefined);
  }

  /** Runs a call; `session_invalid` means the session is over, which stops renewal. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TesseraClientError && error.code === 'session_invalid') this.ended(error);
      throw error;
    }
  }

  private ended(error: TesseraClientError) {
    if (this.state !== 'open') return;
    this.state = 'ended';
    this.timers.clear(this.timer);
    this.timer = undefined;
    this.options.onEnded?.(error);
  }

  private schedule(retry = false) {
    this.timers.clear(this.timer);
    this.timer = undefined;
    const expiresAt = Date.parse(this.info.expiresAt);
    // Renewing cannot go past the absolute expiry: once the idle expiry reaches it, stop.
    if (expiresAt >= Date.parse(this.info.absoluteExpiresAt)) return;
    const remaining = expiresAt - Date.now();
    if (remaining <= 0) return;
    const delay = retry ? Math.min(5_000, remaining / 4) : renewalDelayMs(remaining);
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.renewing = this.backgroundRenew().finally(() => (this.renewing = undefined));
    }, delay);
  }

  private async backgroundRenew() {
    if (this.state !== 'open') return;
    try {
      this.info = await this.call(() => this.transport.call('sessions_renew', { ust: this.ust }));
      if (this.state === 'open') this.schedule();
    } catch (error) {
      // The session ended (call() saw to it), or a passing failure: try again while there is time.
      if (this.state === 'open') this.schedule(true);
    }
  }
}
