import { Body, Delete, Get, HttpCode, Inject, Patch, Post, Put, Req } from '@nestjs/common';
import { AttrService, SessionAttrService, UserAttrService } from '../../attributes/attr.service';
import type { AttrItem, JsonValue, UpdateItem, WriteOptions } from '../../attributes/attr.types';
import { CallerAccess } from '../../attributes/caller-access';
import type { OwnerAccess } from '../../attributes/owner-access';
import { Errors } from '../../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../../config/options';
import { SessionsService } from '../../sessions/sessions.service';
import { ZatoInput } from './zato-input';
import { ZatoController } from './zato.filter';
import { ZatoRequest, ZatoRoutes } from './zato-routes';
import { fromZatoUserId, ok, zatoAttr } from './zato-wire';

type Work<T> = (access: OwnerAccess) => Promise<T>;

/**
 * Zato's attribute calls of one owner kind: create (POST), set (PUT), update (PATCH), delete, get,
 * exists and names, each of one name (`name`) or a batch (`data`). Either way it is one call of the
 * attribute service's batch operation, one statement that checks the UST, the owner and the caller's
 * right together with the work.
 */
abstract class ZatoAttrRoutes extends ZatoRoutes {
  protected constructor(
    sessions: SessionsService,
    config: TesseraConfig,
    private readonly attrs: AttrService,
    protected readonly callers: CallerAccess,
  ) {
    super(sessions, config);
  }

  /** Runs `work` with the caller's access to the owner the body names; notes the caller's session for the log. */
  protected abstract run<T>(input: ZatoInput, request: ZatoRequest, work: Work<T>): Promise<T>;
  /** The body fields that name the caller, one of which must be there. */
  protected abstract readonly callerFields: string[];

  @Post()
  @HttpCode(200)
  async create(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.read(body);
    const items = this.items(input);
    await this.run(input, request, (a) => this.attrs.createMany(a, items, this.defaults(input)));
    return ok();
  }

  @Put()
  async set(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.read(body);
    const items = this.items(input);
    await this.run(input, request, (a) => this.attrs.setMany(a, items, this.defaults(input)));
    return ok();
  }

  /** Unlike Zato's, an update of a name that has no live attribute fails (E009002), and changes nothing. */
  @Patch()
  async update(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.read(body);
    const items = this.items(input, false);
    await this.run(input, request, (a) => this.attrs.updateMany(a, items, this.defaults(input)));
    return ok();
  }

  @Delete()
  async delete(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.read(body);
    const { names } = this.nameList(input);
    await this.run(input, request, (a) => this.attrs.deleteMany(a, names));
    return ok();
  }

  /** One name: `{found, name, value, ...}` or `{found: false}`; several: `result`, one entry per name. */
  @Get()
  async get(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.read(body);
    const { names, single } = this.nameList(input);
    const found = await this.run(input, request, (a) => this.attrs.getMany(a, names));
    if (single) return ok(found[0] ? zatoAttr(found[0]) : { found: false });
    return ok({ result: found.map((attr, i) => (attr ? zatoAttr(attr) : { found: false, name: names[i] })) });
  }

  /** One name: `result` true or false; several: `result` as `{name: bool}`. */
  @Get('exists')
  async exists(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.read(body);
    const { names, single } = this.nameList(input);
    const found = await this.run(input, request, (a) => this.attrs.existsMany(a, names));
    return ok({ result: single ? found[0] : Object.fromEntries(names.map((name, i) => [name, found[i]])) });
  }

  /** The live names, sorted. */
  @Get('names')
  async names(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.read(body);
    return ok({ result: await this.run(input, request, (a) => this.attrs.names(a)) });
  }

  /** The body, with `current_app` checked and one of the caller fields there (else Zato's 400). */
  private read(body: unknown): ZatoInput {
    const input = this.input(body);
    if (!this.callerFields.some((field) => input.has(field))) input.required(this.callerFields[0]);
    return input;
  }

  /** The call's `expiration` and `encrypt`: a single name's own, a batch's defaults that each item may override. */
  private defaults(input: ZatoInput): WriteOptions {
    const defaults: WriteOptions = {};
    const expiration = input.int('expiration');
    const encrypt = input.bool('encrypt');
    if (expiration !== undefined) defaults.expiration = expiration;
    if (encrypt !== undefined) defaults.encrypt = encrypt;
    return defaults;
  }

  /** `name` and `value`, or `data: [{name, value, expiration?, encrypt?}]`; neither is invalid input (E008002). */
  private items(input: ZatoInput, valueRequired = true): Array<AttrItem & UpdateItem> {
    if (input.has('name')) {
      if (valueRequired && !input.has('value')) throw Errors.validation('value is required');
      const item = { name: input.get('name') as string, ...(input.has('value') ? { value: input.get('value') as JsonValue } : {}) };
      return [item as AttrItem];
    }
    const data = this.data(input);
    for (const item of data) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw Errors.validation('each item of data must be an object');
      if (valueRequired && !('value' in item)) throw Errors.validation('each item of data needs a value');
    }
    return data as AttrItem[];
  }

  /** `name`, or `data` as a list of names (or of `{name}` objects). */
  private nameList(input: ZatoInput): { names: string[]; single: boolean } {
    if (input.has('name')) return { names: [input.get('name') as string], single: true };
    const names = this.data(input).map((item) => (typeof item === 'object' && item !== null ? (item as { name: string }).name : (item as string)));
    return { names, single: false };
  }

  private data(input: ZatoInput): unknown[] {
    const data = input.get('data');
    if (data === undefined) throw Errors.validation('give name or data');
    if (!Array.isArray(data)) throw Errors.validation('data must be a list');
    return data;
  }
}

/** `/zato/sso/user/attr*`: the caller's own attributes (`ust`), or as a super-user those of `user_id`. */
@ZatoController('user/attr')
export class ZatoUserAttrController extends ZatoAttrRoutes {
  protected readonly callerFields = ['ust'];

  constructor(sessions: SessionsService, @Inject(TESSERA_CONFIG) config: TesseraConfig, attrs: UserAttrService, callers: CallerAccess) {
    super(sessions, config, attrs, callers);
  }

  protected async run<T>(input: ZatoInput, request: ZatoRequest, work: Work<T>): Promise<T> {
    const ust = input.get('ust');
    if (typeof ust !== 'string') throw Errors.sessionInvalid();
    const userId = input.has('user_id') && input.get('user_id') !== null ? fromZatoUserId(input.get('user_id')) : null;
    // Another user's attributes need a super-user: the statement checks it, and a user who does not
    // exist answers the same, so user ids cannot be probed.
    const { result, callerSessionId } = await this.callers.run('user', ust, userId, work).catch((error) =>
      Promise.reject(error?.code === 'user_not_found' ? Errors.superUserRequired() : error),
    );
    request.tesseraSessionId = callerSessionId;
    return result;
  }
}

/**
 * `/zato/sso/session/attr*`: the attributes of the session of `target_ust`, for `current_ust` of the
 * same user or of a super-user (without `target_ust`: the caller's own session).
 */
@ZatoController('session/attr')
export class ZatoSessionAttrController extends ZatoAttrRoutes {
  protected readonly callerFields = ['current_ust', 'ust'];

  constructor(sessions: SessionsService, @Inject(TESSERA_CONFIG) config: TesseraConfig, attrs: SessionAttrService, callers: CallerAccess) {
    super(sessions, config, attrs, callers);
  }

  protected async run<T>(input: ZatoInput, request: ZatoRequest, work: Work<T>): Promise<T> {
    const ust = input.get('current_ust') ?? input.get('ust');
    const target = input.get('target_ust');
    if (typeof ust !== 'string') throw Errors.sessionInvalid();
    if (target !== undefined && target !== null && typeof target !== 'string') throw Errors.sessionNotFound();
    const { result, callerSessionId } =
      typeof target === 'string' ? await this.callers.runOnSessionToken(ust, target, work) : await this.callers.run('session', ust, null, work);
    request.tesseraSessionId = callerSessionId;
    return result;
  }
}

export const ZatoAttrControllers = [ZatoUserAttrController, ZatoSessionAttrController];
