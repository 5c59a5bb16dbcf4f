import { Inject, Injectable } from '@nestjs/common';
import { AuditContext } from '../audit/audit-event.entity';
import { AuditService } from '../audit/audit.service';
import { Errors, TesseraError } from '../common/tessera-error';
import { isWellFormedText } from '../common/text';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { PasswordHasher } from '../crypto/password-hasher.service';
import { SessionView } from '../sessions/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { UserEntity } from '../users/user.entity';
import { TotpService } from '../users/totp.service';
import { UsersService } from '../users/users.service';
import { LoginLimits } from './login-limits.service';

export interface LoginInput {
  username: string;
  password: string;
  currentApp: string;
  /** Sets a new password during login; required when the password expired or must be changed. */
  newPassword?: string;
  /** The current TOTP code; required when the user has TOTP on, ignored when it is off (Zato's clients send it anyway). */
  totpCode?: string;
}

/** Where a login comes from, kept with the session (its user sees it in their session list). */
export interface ClientInfo {
  remoteAddr: string | null;
  userAgent: string | null;
}

export interface LoginResult {
  ust: string;
  session: SessionView;
  warnings: string[];
}

const DAY_MS = 24 * 3600 * 1000;

/** Logging in and out: the one place that checks a password and opens a session for it. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    private readonly limits: LoginLimits,
    private readonly audit: AuditService,
    private readonly totp: TotpService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  /**
   * Unknown user, wrong password, locked user: one answer, `invalid_credentials`, after one argon2
   * verification in every case, so neither the reply nor its timing tells them apart. With the right
   * password, an unconfirmed sign-up is `signup_not_confirmed`, a pending or rejected user `not_approved`.
   * Before any hashing, the attempt must pass the login limits (LoginLimits): a blocked account or
   * address is refused with `rate_limited` and the seconds to wait. Every outcome is audited.
   */
  async login(input: LoginInput, client: ClientInfo = { remoteAddr: null, userAgent: null }): Promise<LoginResult> {
    const attempt = { username: input.username, app: input.currentApp, remoteAddr: client.remoteAddr };
    let userId: string | null = null;
    try {
      if (!this.config.apps.includes(input.currentApp)) throw Errors.appNotAllowed();
      // PostgreSQL and argon2 see an unpaired surrogate as U+FFFD: "a\ud800" would log in as "a\ufffd".
      if (!isWellFormedText(input.username) || !isWellFormedText(input.password)) {
        throw Errors.validation('username and password must be well-formed Unicode (no unpaired surrogates)');
      }
      const keys = this.limits.keysFor(input.username, client.remoteAddr);
      // Holding the account's and the address's place from the check until the failure is counted
      // means an attempt admitted after a failure sees it: no burst outruns the limit.
      const user = await this.limits.withShare(keys, async () => {
        const [blockedFor, found] = await Promise.all([this.limits.blockedFor(keys), this.users.findForLogin(input.username)]);
        userId = found?.id ?? null;
        if (blockedFor !== null) throw Errors.rateLimited(blockedFor);
        const passwordOk = await this.hasher.verify(found?.passwordHash, input.password);
        if (!found || !passwordOk || found.isLocked) {
          await this.limits.failed(keys);
          throw Errors.invalidCredentials();
        }
        // Only after the password: `totp_required` tells nothing to someone who does not know it.
        // A wrong code counts as a failed login, so the limits also bound guessing codes.
        const totp = found.totpEnabled ? await this.totp.check(found.id, input.totpCode) : 'off';
        if (totp === 'missing') throw Errors.totpRequired();
        if (totp === 'wrong') {
          await this.limits.failed(keys);
          throw Errors.invalidCredentials();
        }
        await this.limits.succeeded(keys);
        // Only a caller who knows the password learns where the user stands (as Zato does).
        if (found.signUpStatus !== 'final') throw Errors.signupNotConfirmed();
        if (found.approvalStatus !== 'approved') throw Errors.notApproved();
        return found;
      });
      const result = await this.open(user, input, client);
      await this.audit.record({ type: 'login', ...attempt, userId, actorId: userId, sessionId: result.session.id });
      return result;
    } catch (error) {
      const reason = error instanceof TesseraError ? error.code : 'internal_error';
      await this.audit.record({ type: 'login', outcome: 'failure', reason, ...attempt, userId });
      throw error;
    }
  }

  /** After the password checked out: the password policy, then the session. */
  private async open(user: UserEntity, input: LoginInput, client: ClientInfo): Promise<LoginResult> {
    const now = Date.now();
    const expired = user.passwordExpiresAt !== null && user.passwordExpiresAt.getTime() <= now;
    const warnings: string[] = [];
    if (input.newPassword !== undefined) {
      // As with any password change, sessions opened under the old password end.
      await this.users.setPassword(user.id, input.newPassword, null, { actorId: user.id, app: input.currentApp, remoteAddr: client.remoteAddr });
    } else if (expired) {
      throw Errors.passwordExpired();
    } else if (user.passwordMustChange) {
      throw Errors.passwordChangeRequired();
    } else if (user.passwordExpiresAt && user.passwordExpiresAt.getTime() - now < this.config.passwordExpiryWarningDays * DAY_MS) {
      warnings.push('password_expiring');
    }
    const { ust, session } = await this.sessions.create({ userId: user.id, currentApp: input.currentApp, ...client });
    return { ust, session, warnings };
  }

  /** Ends the session (its attributes go with it). */
  async logout(sessionId: string, context: AuditContext = {}): Promise<void> {
    const ended = await this.sessions.end(sessionId);
    if (ended) await this.audit.record({ type: 'logout', userId: ended.userId, actorId: ended.userId, app: ended.currentApp, sessionId }, context);
  }
}
