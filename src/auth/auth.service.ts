import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SessionView } from '../sessions/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { LoginDto } from './dto/login.dto';
import { PasswordHasher } from '../crypto/password-hasher.service';

export interface LoginResult {
  ust: string;
  session: SessionView;
  warnings: string[];
}

const PASSWORD_EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Unknown user, wrong password, locked or unapproved user: one answer, `invalid_credentials`, after
   * one argon2 verification in every case, so neither the reply nor its timing tells them apart.
   */
  async login(input: LoginDto, client: { remoteAddr: string | null; userAgent: string | null }): Promise<LoginResult> {
    if (!this.config.apps.includes(input.currentApp)) throw Errors.appNotAllowed();
    const user = await this.users.findForLogin(input.username);
    const passwordOk = await this.hasher.verify(user?.passwordHash, input.password);
    if (!user || !passwordOk || user.isLocked || user.approvalStatus !== 'approved') throw Errors.invalidCredentials();

    const now = Date.now();
    const expired = user.passwordExpiresAt !== null && user.passwordExpiresAt.getTime() <= now;
    const warnings: string[] = [];
    if (input.newPassword !== undefined) {
      await this.users.setPassword(user.id, input.newPassword);
      // As with any password change, sessions opened under the old password end.
      await this.sessions.revokeAllOfUser(user.id);
    } else if (expired || user.passwordMustChange) {
      throw Errors.passwordChangeRequired();
    } else if (user.passwordExpiresAt && user.passwordExpiresAt.getTime() - now < PASSWORD_EXPIRY_WARNING_MS) {
      warnings.push('password_expiring');
    }
    const { ust, session } = await this.sessions.create({ userId: user.id, currentApp: input.currentApp, ...client });
    return { ust, session, warnings };
  }
}
