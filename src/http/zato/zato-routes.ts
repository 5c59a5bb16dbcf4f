import type { TesseraConfig } from '../../config/options';
import { Errors } from '../../common/tessera-error';
import type { CurrentSession, SessionsService } from '../../sessions/sessions.service';
import { HttpRequest } from '../bearer';
import { ZatoInput } from './zato-input';

export type ZatoRequest = HttpRequest & { tesseraSessionId?: string };

/**
 * What every Zato route group shares: reading the body with its `current_app` checked (every Zato
 * call names a configured app), and the caller's session from the UST in the body.
 */
export abstract class ZatoRoutes {
  protected constructor(
    protected readonly sessions: SessionsService,
    protected readonly config: TesseraConfig,
  ) {}

  /**
   * The body. `current_app` and the fields in `required` must be there (else Zato's 400, before
   * anything else is looked at); `current_app` must be a configured app.
   */
  protected input(body: unknown, required: string[] = []): ZatoInput {
    const input = new ZatoInput(body);
    for (const field of required) input.required(field);
    const app = input.required('current_app');
    if (typeof app !== 'string' || !this.config.apps.includes(app)) throw Errors.appNotAllowed();
    return input;
  }

  /** The live session of the UST in `field` (required), noted for the request log by id only. */
  protected async caller(input: ZatoInput, request: ZatoRequest, field = 'ust'): Promise<CurrentSession> {
    const ust = input.required(field);
    if (typeof ust !== 'string') throw Errors.sessionInvalid();
    const current = await this.sessions.resolve(ust);
    request.tesseraSessionId = current.session.id;
    return current;
  }

  protected async superUser(input: ZatoInput, request: ZatoRequest, field = 'ust'): Promise<CurrentSession> {
    const current = await this.caller(input, request, field);
    if (!current.user.isSuperUser) throw Errors.superUserRequired();
    return current;
  }
}
