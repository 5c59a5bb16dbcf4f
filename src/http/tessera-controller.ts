import { applyDecorators, Controller, UseFilters, UsePipes } from '@nestjs/common';
import { TesseraExceptionFilter } from './exception.filter';
import { TesseraValidationPipe } from './validation.pipe';

/**
 * `@Controller` for Tessera's own routes: their bodies are checked and their errors answered the
 * same way in the service and inside any host application, without touching the host's own routes.
 */
export const TesseraController = (prefix: string) =>
  applyDecorators(Controller(prefix), UsePipes(new TesseraValidationPipe()), UseFilters(TesseraExceptionFilter));
