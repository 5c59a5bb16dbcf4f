import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

export class ListSessionsQuery {
  @IsOptional() @IsUUID() userId?: string;
}

export class RevokeAllQuery {
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  keepCurrent?: boolean;
}

export class VerifyDto {
  @IsString() @MaxLength(512) ust: string;
}
