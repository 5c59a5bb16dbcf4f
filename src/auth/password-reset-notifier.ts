import { Injectable, Logger, Type } from '@nestjs/common';

/** What a notifier gets for one reset request: whom to reach, and the token to deliver. */
export interface PasswordResetRequest {
  userId: string;
  username: string;
  email: string | null;
  /** The single-use reset token: deliver it to the user (e-mail, SMS…) and nowhere else; never log it. */
  token: string;
  expiresAt: Date;
}

/**
 * Delivers password reset tokens out of band. A host provides its own with
 * `TesseraModule.forRoot({ ..., passwordResetNotifier: MyNotifier })` (a class, injected like any
 * provider, or an instance); the service's default delivers nothing (docs/operations.md).
 */
export interface PasswordResetNotifier {
  passwordResetRequested(request: PasswordResetRequest): Promise<void> | void;
}

export const PASSWORD_RESET_NOTIFIER = Symbol('PASSWORD_RESET_NOTIFIER');

/** A notifier class or instance, as a host passes it to the module. */
export type PasswordResetNotifierOption = Type<PasswordResetNotifier> | PasswordResetNotifier;

/**
 * The default: drops the token (a log is no delivery channel, and a token in a log is a takeover
 * for whoever reads it) and records only that a user asked. Operators hand out tokens with the CLI.
 */
@Injectable()
export class LogOnlyPasswordResetNotifier implements PasswordResetNotifier {
  private readonly logger = new Logger('PasswordReset');

  passwordResetRequested(request: PasswordResetRequest): void {
    this.logger.log(`password reset requested for user ${request.userId}; no notifier is configured, so nothing was delivered`);
  }
}
