import type { AuditContext } from '../audit/audit-event.entity';
import { clientInfo, HttpRequest } from './bearer';
import type { CurrentSession } from './session.guard';

/** Who acts (the caller) and from where, for the audit trail of what a route does. */
export function auditContext({ session, user }: CurrentSession, request: HttpRequest): AuditContext {
  return { actorId: user.id, remoteAddr: clientInfo(request).remoteAddr, app: session.currentApp };
}
