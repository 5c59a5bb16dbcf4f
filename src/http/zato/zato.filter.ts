import { applyDecorators, ArgumentsHost, Catch, Controller, ExceptionFilter, Injectable, Logger, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { describeError } from '../../common/describe-error';
import { toErrorBody } from '../exception.filter';
import { ZATO_SUB_STATUS } from './zato-codes';
import { newCid, ZatoBadRequest, ZatoRefusal } from './zato-wire';

/** Where the Zato routes are mounted. */
export const ZATO_PATH_PREFIX = '/zato/sso/';

/** Zato answers every refusal with 403; its clients accept any 4xx. */
const ZATO_ERROR_STATUS = 403;

/**
 * Answers errors of the Zato routes in Zato's shapes: a missing required field as
 * `400 {result: "Error", cid, details: "Bad request"}`, anything else as
 * `{cid, status: "error", sub_status: [code]}` with the code from ZATO_SUB_STATUS, HTTP 403 (500 or
 * 503 when the fault is the server's, logged without any value as Tessera's own filter does).
 */
@Catch()
@Injectable()
export class ZatoExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Zato');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    const adapter = this.adapterHost.httpAdapter;
    if (exception instanceof ZatoBadRequest) {
      adapter.reply(response, { result: 'Error', cid: newCid(), details: 'Bad request' }, 400);
      return;
    }
    if (exception instanceof ZatoRefusal) {
      adapter.reply(response, { cid: newCid(), status: 'error', sub_status: [exception.subStatus] }, ZATO_ERROR_STATUS);
      return;
    }
    const body = toErrorBody(exception);
    if (body.statusCode >= 500 && body.code !== 'database_unavailable') this.logger.error(describeError(exception));
    const status = body.statusCode >= 500 ? body.statusCode : ZATO_ERROR_STATUS;
    adapter.reply(response, { cid: newCid(), status: 'error', sub_status: [ZATO_SUB_STATUS[body.code]] }, status);
  }
}

/**
 * `@Controller` of a Zato route group under `/zato/sso`: Zato's error shapes, and left out of the
 * OpenAPI document (a compatibility surface, described in docs/zato.md). Bodies are read by hand
 * (ZatoInput): Zato's fields are snake_case and some are any JSON.
 */
export const ZatoController = (prefix: string) =>
  applyDecorators(Controller(`zato/sso/${prefix}`), UseFilters(ZatoExceptionFilter), ApiExcludeController());
