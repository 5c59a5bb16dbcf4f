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
import { BATCH_OPS, parseCreate, parseExpiryBatch, parseNameBatch, parseSet, parseUpdate, parseWriteBatch } from './attr-input';
import { checkCurrentApp, HttpRequest } from './bearer';
import { ApiParam } from '@nestjs/swagger';
import { ApiCall, ApiCallOptions, ApiGroup } from './openapi/api-call';
import {
  AttrMetaListResponse,
  AttrMetaResponse,
  AttrOrNullListResponse,
  AttrResponse,
  CreateAttrBody,
  DeletedListResponse,
  ExistsListResponse,
  ExpiryBatchBody,
  NameBatchBody,
  SetAttrBody,
  UpdateAttrBody,
  UpdateBatchBody,
  WriteBatchBody,
} from './openapi/schemas';
import { sessionToken } from './session-token';
import { TesseraController } from './tessera-controller';

type Request = HttpRequest & { tesseraSessionId?: string };

/** What every attribute route shares in the OpenAPI document: a session, and an owner it may reach. */
const OWNER = { auth: 'session', errors: ['forbidden', 'session_not_found', 'user_not_found'] } as const satisfies Partial<ApiCallOptions>;

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
  @ApiCall({ summary: 'Names and metadata of the live attributes, sorted by name (no values)', response: AttrMetaListResponse, ...OWNER })
  async list(@Req() req: Request, @Param('id') id: string) {
    return { attrs: await this.call(req, id, (a) => this.attrs.list(a)) };
  }

  @Post()
  @ApiCall({ summary: 'Create an attribute', status: 201, body: CreateAttrBody, response: AttrMetaResponse, ...OWNER, errors: [...OWNER.errors, 'attr_exists'] })
  create(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const item = parseCreate(body);
    return this.call(req, id, (a) => this.attrs.create(a, item.name, item.value, item));
  }

  @Post('batch/create')
  @ApiCall({ summary: 'createMany: all or nothing', status: 201, body: WriteBatchBody, response: AttrMetaListResponse, ...OWNER, errors: [...OWNER.errors, 'attr_exists'] })
  async createMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const { data, defaults } = parseWriteBatch(body, true);
    return { attrs: await this.call(req, id, (a) => this.attrs.createMany(a, data as AttrItem[], defaults)) };
  }

  @Post('batch/set')
  @HttpCode(200)
  @ApiCall({ summary: 'setMany: create or replace, all or nothing', body: WriteBatchBody, response: AttrMetaListResponse, ...OWNER })
  async setMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const { data, defaults } = parseWriteBatch(body, true);
    return { attrs: await this.call(req, id, (a) => this.attrs.setMany(a, data as AttrItem[], defaults)) };
  }

  @Post('batch/update')
  @HttpCode(200)
  @ApiCall({ summary: 'updateMany: all or nothing', body: UpdateBatchBody, response: AttrMetaListResponse, ...OWNER, errors: [...OWNER.errors, 'attr_not_found'] })
  async updateMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const { data, defaults } = parseWriteBatch(body, false);
    return { attrs: await this.call(req, id, (a) => this.attrs.updateMany(a, data, defaults)) };
  }

  @Post('batch/set-expiry')
  @HttpCode(200)
  @ApiCall({ summary: 'setExpiryMany: all or nothing', body: ExpiryBatchBody, response: AttrMetaListResponse, ...OWNER, errors: [...OWNER.errors, 'attr_not_found'] })
  async setExpiryMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const data = parseExpiryBatch(body);
    return { attrs: await this.call(req, id, (a) => this.attrs.setExpiryMany(a, data)) };
  }

  @Post('batch/get')
  @HttpCode(200)
  @ApiCall({ summary: 'getMany: one entry per name, null for a missing one', body: NameBatchBody, response: AttrOrNullListResponse, ...OWNER, errors: [...OWNER.errors, 'attr_decrypt_failed'] })
  async getMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const names = parseNameBatch(body);
    return { attrs: await this.call(req, id, (a) => this.attrs.getMany(a, names)) };
  }

  @Post('batch/exists')
  @HttpCode(200)
  @ApiCall({ summary: 'existsMany: one boolean per name', body: NameBatchBody, response: ExistsListResponse, ...OWNER })
  async existsMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const names = parseNameBatch(body);
    return { exists: await this.call(req, id, (a) => this.attrs.existsMany(a, names)) };
  }

  @Post('batch/delete')
  @HttpCode(200)
  @ApiCall({ summary: 'deleteMany: all or nothing', body: NameBatchBody, response: DeletedListResponse, ...OWNER, errors: [...OWNER.errors, 'attr_not_found'] })
  async deleteMany(@Req() req: Request, @Param('id') id: string, @Body() body: unknown) {
    const names = parseNameBatch(body);
    await this.call(req, id, (a) => this.attrs.deleteMany(a, names));
    return { deleted: names };
  }

  /** Any other batch operation: the routes above take every known one. */
  @Post('batch/:op')
  @ApiCall({ summary: `Not a batch operation: one of ${BATCH_OPS.join(', ')} is expected`, status: 'none', auth: 'none', errors: ['unknown_batch_op'] })
  unknownBatchOp() {
    throw Errors.unknownBatchOp(BATCH_OPS);
  }

  // Declared before GET: Express answers a HEAD with the first GET route of the path otherwise,
  // which would read (and decrypt) the value.
  @Head(':name')
  @HttpCode(200)
  @ApiCall({ summary: 'Whether a live attribute exists (200 or 404, no body)', ...OWNER, errors: [...OWNER.errors, 'attr_not_found'] })
  async exists(@Req() req: Request, @Param('id') id: string, @Param('name') name: string) {
    if (!(await this.call(req, id, (a) => this.attrs.exists(a, checkName(name))))) throw Errors.attrNotFound(name);
  }

  @Get(':name')
  @ApiCall({ summary: 'Get an attribute', response: AttrResponse, ...OWNER, errors: [...OWNER.errors, 'attr_not_found', 'attr_decrypt_failed'] })
  async get(@Req() req: Request, @Param('id') id: string, @Param('name') name: string) {
    const attr = await this.call(req, id, (a) => this.attrs.get(a, checkName(name)));
    if (!attr) throw Errors.attrNotFound(name);
    return attr;
  }

  @Put(':name')
  @ApiCall({ summary: 'Set (create or replace) an attribute', body: SetAttrBody, response: AttrMetaResponse, ...OWNER })
  set(@Req() req: Request, @Param('id') id: string, @Param('name') name: string, @Body() body: unknown) {
    const item = parseSet(body, checkName(name));
    return this.call(req, id, (a) => this.attrs.set(a, item.name, item.value, item));
  }

  @Patch(':name')
  @ApiCall({ summary: 'Update a live attribute: value, expiry (null removes it) or sealing', body: UpdateAttrBody, response: AttrMetaResponse, ...OWNER, errors: [...OWNER.errors, 'attr_not_found', 'attr_decrypt_failed'] })
  async update(@Req() req: Request, @Param('id') id: string, @Param('name') name: string, @Body() body: unknown) {
    const item = parseUpdate(body, checkName(name));
    return (await this.call(req, id, (a) => this.attrs.updateMany(a, [item])))[0];
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiCall({ summary: 'Delete an attribute', status: 204, ...OWNER, errors: [...OWNER.errors, 'attr_not_found'] })
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
@ApiGroup('session attributes')
@ApiParam({ name: 'id', description: 'A session id (UUID), or "current" for the calling session.' })
export class SessionAttrController extends AttrRoutes {
  constructor(attrs: SessionAttrService, callers: CallerAccess, @Inject(TESSERA_CONFIG) config: TesseraConfig) {
    super('session', 'current', attrs, callers, config);
  }
}

@TesseraController('users/:id/attrs')
@ApiGroup('user attributes')
@ApiParam({ name: 'id', description: 'A user id (UUID), or "me" for the calling user.' })
export class UserAttrController extends AttrRoutes {
  constructor(attrs: UserAttrService, callers: CallerAccess, @Inject(TESSERA_CONFIG) config: TesseraConfig) {
    super('user', 'me', attrs, callers, config);
  }
}
