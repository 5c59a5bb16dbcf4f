import { Transform } from 'class-transformer';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

export class ListSessionsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Super-users: another user.' })
  @IsOptional() @IsUUID() userId?: string;
}

export class RevokeAllQuery {
  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  keepCurrent?: boolean;
}

export class VerifyDto {
  @ApiProperty({ maxLength: 512 })
  @IsString() @MaxLength(512) ust: string;
}
