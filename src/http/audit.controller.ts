import { Get, Query } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { AuditQueryDto } from './dto/audit.dto';
import { SuperUserOnly } from './session.guard';
import { TesseraController } from './tessera-controller';

@TesseraController('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @SuperUserOnly()
  list(@Query() query: AuditQueryDto) {
    return this.audit.list({ ...query, userId: query.userId?.toLowerCase() });
  }
}
