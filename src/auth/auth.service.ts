import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { isWellFormedText } from '../common/text';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { PasswordHasher } from '../crypto/password-hasher.service';
import { SessionView } from '../sessions/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';

export interface LoginInput {
  username: string;
  password: string;
  currentApp: string;
  /** Sets a new password during login; required when the password expired or must be changed. */
  newPassword?: string;
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

const PASSWORD_EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

/** Logging in and out: the one place that checks a password and opens a session for it. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  /**
   * Unknown user, wrong password, locked or unapproved user: one answer, `invalid_credentials`, after
   * one argon2 verification in every case, so neither the reply nor its timing tells them apart.
   */
  async login(input: LoginInput, client: ClientInfo = { remoteAddr: null, userAgent: null }): Promise<LoginResult> {
    if (!this.config.apps.includes(input.currentApp)) throw Errors.appNotAllowed();
    // PostgreSQL and argon2 see an unpaired surrogate as U+FFFD: "a\ud800" would log in as "a\ufffd".
    if (!isWellFormedText(input.username) || !isWellFormedText(input.password)) {
      throw Errors.validation('username and password must be well-formed Unicode (no unpaired surrogates)');
    }
    const user = await this.users.findForLogin(input.username);
    const passwordOk = await this.hasher.verify(user?.passwordHash, input.password);
    if (!user || !passwordOk || user.isLocked || user.approvalStatus !== 'approved') throw Errors.invalidCredentials();

    const now = Date.now();
    const expired = user.passwordExpiresAt !== null && user.passwordExpiresAt.getTime() <= now;
    const warnings: string[] = [];
    if (input.newPassword !== undefined) {
      // As with any password change, sessions opened under the old password end.
      await this.users.setPassword(user.id, input.newPassword);
    } else if (expired || user.passwordMustChange) {
      throw Errors.passwordChangeRequired();
    } else if (user.passwordExpiresAt && user.passwordExpiresAt.getTime() - now < PASSWORD_EXPIRY_WARNING_MS) {
      warnings.push('password_expiring');
    }
    const { ust, session } = await this.sessions.create({ userId: user.id, currentApp: input.currentApp, ...client });
    return { ust, session, warnings };
  }

  /** Ends the session (its attributes go with it). */
  logout(sessionId: string): Promise<void> {
    return this.sessions.end(sessionId);
  }
}
