import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { AUDIT_EVENT_TYPES, AuditEventType, AuditQuery } from '../../audit/audit-event.entity';

export class AuditQueryDto implements AuditQuery {
  @IsOptional() @IsUUID() userId?: string;
  @IsOptional() @IsIn(AUDIT_EVENT_TYPES) type?: AuditEventType;
  @IsOptional() @Type(() => Date) @IsDate() from?: Date;
  @IsOptional() @Type(() => Date) @IsDate() to?: Date;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100000) page?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) pageSize?: number;
}
