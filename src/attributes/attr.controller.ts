import { Body, Controller, Delete, Get, Head, HttpCode, Inject, Param, Patch, Post, Put, Req, Type } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bearerToken, checkCurrentApp } from '../auth/bearer';
import { Errors } from '../common/app-error';
import { isUuid } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { BATCH_OPS, BatchOp, parseCreate, parseExpiryBatch, parseNameBatch, parseSet, parseUpdate, parseWriteBatch } from './attr-input';
import type { AttrService } from './attr.service';
import type { AttrItem, CallerAccess } from './attr.types';
import { checkName } from './attr-validation';

type Request = FastifyRequest & { tesseraSessionId?: string };

/**
 * The attribute REST routes for one owner kind, mounted at `/{prefix}/{id}/attrs` where `id` is a
 * UUID or the caller's own (`alias`). No guard runs first: each route is one statement that checks
 * the UST, the owner and the caller's right to it together with the work.
 */
export function attrController(prefix: string, alias: string, service: Type<AttrService>): Type<unknown> {
  @Controller(`${prefix}/:id/attrs`)
  class AttrController {
    constructor(
      @Inject(service) private readonly attrs: AttrService,
      @Inject(APP_CONFIG) private readonly config: AppConfig,
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
        throw Errors.notFound('unknown_batch_op', `batch operation must be one of ${BATCH_OPS.join(', ')}`);
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

    @Get(':name')
    async get(@Req() req: Request, @Param('id') id: string, @Param('name') name: string) {
      const attr = await this.call(req, id, (a) => this.attrs.get(a, checkName(name)));
      if (!attr) throw attrNotFound(name);
      return attr;
    }

    @Head(':name')
    @HttpCode(200)
    async exists(@Req() req: Request, @Param('id') id: string, @Param('name') name: string) {
      if (!(await this.call(req, id, (a) => this.attrs.exists(a, checkName(name))))) throw attrNotFound(name);
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

    /** Builds the caller's access from the request, runs the call, and notes the session for the log. */
    private async call<T>(req: Request, id: string, work: (access: CallerAccess) => Promise<T>): Promise<T> {
      checkCurrentApp(req, this.config);
      if (id !== alias && !isUuid(id)) throw Errors.validation(`owner must be a UUID or "${alias}"`);
      const access: CallerAccess = { ust: bearerToken(req), ownerId: id === alias ? null : id.toLowerCase() };
      try {
        return await work(access);
      } finally {
        req.tesseraSessionId = access.callerSessionId;
      }
    }
  }
  Object.defineProperty(AttrController, 'name', { value: `${service.name.replace('Service', '')}Controller` });
  return AttrController;
}

function attrNotFound(name: string) {
  return Errors.notFound('attr_not_found', `no such attribute: ${name}`);
}
