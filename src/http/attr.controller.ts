import { Body, Delete, Get, Head, HttpCode, Inject, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { AttrService, SessionAttrService, UserAttrService } from '../attributes/attr.service';
import type { OwnerKind } from '../attributes/attr-sql';
import type { AttrItem } from '../attributes/attr.types';
import { checkName } from '../attributes/attr-validation';
import { CallerAccess } from '../attributes/caller-access';
import type { OwnerAccess } from '../attributes/owner-access';
import { Errors } from '../common/tessera-error';
import { isUuid } from '../common/uuid';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { BATCH_OPS, BatchOp, parseCreate, parseExpiryBatch, parseNameBatch, parseSet, parseUpdate, parseWriteBatch } from './attr-input';
import { checkCurrentApp, HttpRequest } from './bearer';
import { sessionToken } from './session-token';
import { TesseraController } from './tessera-controller';

type Request = HttpRequest & { tesseraSessionId?: string };

/**
 * The attribute REST routes of one owner kind, at `/{sessions|users}/{id}/attrs`, where `id` is a
 * UUID or the caller's own (`current`, `me`). No guard runs first: each route is one statement that
 * checks the UST, the owner and the caller's right to it together with the work.
 */
abstract class AttrRoutes {
  protected constructor(
    private readonly kind: OwnerKind,
    private readonly alias: string,
    private readonly attrs: AttrService,
    private readonly callers: CallerAccess,
    private readonly config: TesseraConfig,
  ) {}

  @Get()
  async list(@Req() req: Request, @Param('id') id: string) {
    return { attrs: await this.call(req, id, (a) => this.attrs.list(a)) };
  }

  @Post()
  create(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const item = parseCreate(body);
    return this.call(req, id, (a) => this.attrs.create(a, item.name, item.value, item));
  }

  @Post('batch/create')
  async createMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const { data, defaults } = parseWriteBatch(body, true);
    return { attrs: await this.call(req, id, (a) => this.attrs.createMany(a, data as AttrItem[], defaults)) };
  }

  @Post('batch/:op')
  @HttpCode(200)
  async batch(@Req() req: Request, @Param('id') id: string, @Param('op') op: string, @Body() body: unknown) {
    if (op === 'create' || !BATCH_OPS.includes(op as BatchOp)) {
      throw Errors.unknownBatchOp(BATCH_OPS);
    }
    switch (op as Exclude<BatchOp, 'create'>) {
      case 'set': {
        const { data, defaults } = parseWriteBatch(body, true);
        return { attrs: await this.call(req, id, (a) => this.attrs.setMany(a, data as AttrItem[], defaults)) };
      }
      case 'update': {
        const { data, defaults } = parseWriteBatch(body, false);
        return { attrs: await this.call(req, id, (a) => this.attrs.updateMany(a, data, defaults)) };
      }
      case 'set-expiry': {
        const data = parseExpiryBatch(body);
        return { attrs: await this.call(req, id, (a) => this.attrs.setExpiryMany(a, data)) };
      }
      case 'get': {
        const names = parseNameBatch(body);
        return { attrs: await this.call(req, id, (a) => this.attrs.getMany(a, names)) };
      }
      case 'exists': {
        const names = parseNameBatch(body);
        return { exists: await this.call(req, id, (a) => this.attrs.existsMany(a, names)) };
      }
      case 'delete': {
        const names = parseNameBatch(body);
        await this.call(req, id, (a) => this.attrs.deleteMany(a, names));
        return { deleted: names };
      }
    }
  }

  // Declared before GET: Express answers a HEAD with the first GET route of the path otherwise,
  // which would read (and decrypt) the value.
  @Head(':name')
  @HttpCode(200)
  async exists(@Req() req: Request, @Param('id') id: string, @Param('name') name: string) {
    if (!(await this.call(req, id, (a) => this.attrs.exists(a, checkName(name))))) throw Errors.attrNotFound(name);
  }

  @Get(':name')
  async get(@Req() req: Request, @Param('id') id: string, @Param('name') name: string) {
    const attr = await this.call(req, id, (a) => this.attrs.get(a, checkName(name)));
    if (!attr) throw Errors.attrNotFound(name);
    return attr;
  }

  @Put(':name')
  set(@Req() req: Request, @Param('id') id: string, @Param('name') name: string, @Body() body: unknown) {
    const item = parseSet(body, checkName(name));
    return this.call(req, id, (a) => this.attrs.set(a, item.name, item.value, item));
  }

  @Patch(':name')
  async update(@Req() req: Request, @Param('id') id: string, @Param('name') name: string, @Body() body: unknown) {
    const item = parseUpdate(body, checkName(name));
    return (await this.call(req, id, (a) => this.attrs.updateMany(a, [item])))[0];
  }

  @Delete(':name')
  @HttpCode(204)
  async delete(@Req() req: Request, @Param('id') id: string, @Param('name') name: string) {
    await this.call(req, id, (a) => this.attrs.delete(a, checkName(name)));
  }

  /** Runs the call with the caller's access and notes the caller's session for the request log. */
  private async call<T>(req: Request, id: string, work: (access: OwnerAccess) => Promise<T>): Promise<T> {
    checkCurrentApp(req, this.config.apps);
    if (id !== this.alias && !isUuid(id)) throw Errors.validation(`owner must be a UUID or "${this.alias}"`);
    const ownerId = id === this.alias ? null : id.toLowerCase();
    const { result, callerSessionId } = await this.callers.run(this.kind, sessionToken(req, this.config).ust, ownerId, work);
    req.tesseraSessionId = callerSessionId;
    return result;
  }
}

@TesseraController('sessions/:id/attrs')
export class SessionAttrController extends AttrRoutes {
  constructor(attrs: SessionAttrService, callers: CallerAccess, @Inject(TESSERA_CONFIG) config: TesseraConfig) {
    super('session', 'current', attrs, callers, config);
  }
}

@TesseraController('users/:id/attrs')
export class UserAttrController extends AttrRoutes {
  constructor(attrs: UserAttrService, callers: CallerAccess, @Inject(TESSERA_CONFIG) config: TesseraConfig) {
    super('user', 'me', attrs, callers, config);
  }
}
