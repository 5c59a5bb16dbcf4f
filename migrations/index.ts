import { UsersAndSessions1763770000000 } from './1763770000000-users-and-sessions';
import { Attributes1763780000000 } from './1763780000000-attributes';
import { LoginLimitsAndAudit1764000000000 } from './1764000000000-login-limits-and-audit';
import { TotpAndPasswordReset1764100000000 } from './1764100000000-totp-and-password-reset';
import { SignupApprovalLinked1764200000000 } from './1764200000000-signup-approval-linked';
import { UserNamesTotpLabel1764300000000 } from './1764300000000-user-names-totp-label';

/** Listed explicitly (not globbed) so the same list works compiled, under ts-node and under Jest. */
export const migrations = [
  UsersAndSessions1763770000000,
  Attributes1763780000000,
  LoginLimitsAndAudit1764000000000,
  TotpAndPasswordReset1764100000000,
  SignupApprovalLinked1764200000000,
  UserNamesTotpLabel1764300000000,
];
