import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDate,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ApprovalStatus } from '../../users/user.entity';

export const USERNAME_PATTERN = /^[\p{L}\p{N}._@+-]{1,128}$/u;
const PASSWORD_MAX = 1024;

export class UpdateProfileDto {
  @ApiPropertyOptional({ type: String, format: 'email', maxLength: 320, nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsEmail() @MaxLength(320) email?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 256, nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(256) displayName?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 256, nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(256) firstName?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 256, nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(256) middleName?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 256, nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(256) lastName?: string | null;
}

/**
 * ISO 8601 text to a Date; anything else stays as sent, for @IsDate to refuse. (A plain Date
 * conversion would take `true` as 1970-01-01T00:00:00.001Z and `"1"` as the year 2001.)
 */
const isoDate = () => Transform(({ value }) => (typeof value === 'string' && /^[+-]?\d{4,6}-\d\d-\d\d/.test(value) ? new Date(value) : value));

const usernameRule = () => Matches(USERNAME_PATTERN, { message: 'username must be 1-128 letters, digits or ._@+-' });

/** May be absent, but not `null` (which @IsOptional lets through): the column is NOT NULL. */
export const NotNullWhenGiven = () => ValidateIf((_, value) => value !== undefined);

/** Fields only a super-user may set. */
class AdminFieldsDto extends UpdateProfileDto {
  @ApiPropertyOptional()
  @NotNullWhenGiven() @IsBoolean() isSuperUser?: boolean;
  @ApiPropertyOptional({ enum: ['approved', 'pending', 'rejected'], enumName: 'ApprovalStatus' })
  @NotNullWhenGiven() @IsIn(['approved', 'pending', 'rejected']) approvalStatus?: ApprovalStatus;
  @ApiPropertyOptional()
  @NotNullWhenGiven() @IsBoolean() passwordMustChange?: boolean;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @isoDate() @IsDate({ message: 'passwordExpiresAt must be an ISO 8601 date-time' })
  passwordExpiresAt?: Date | null;
}

export class AdminUpdateUserDto extends AdminFieldsDto {
  @ApiPropertyOptional({ pattern: USERNAME_PATTERN.source })
  @NotNullWhenGiven() @IsString() @usernameRule() username?: string;
}

export class CreateUserDto extends AdminFieldsDto {
  @ApiProperty({ pattern: USERNAME_PATTERN.source })
  @IsString() @usernameRule() username: string;
  @ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX, description: 'At least PASSWORD_MIN_LENGTH characters.' })
  @IsString() @MinLength(1) @MaxLength(PASSWORD_MAX) password: string;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX })
  @IsString() @MinLength(1) @MaxLength(PASSWORD_MAX) oldPassword: string;
  @ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX })
  @IsString() @MinLength(1) @MaxLength(PASSWORD_MAX) newPassword: string;
}

export class ListUsersQuery {
  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional() @IsString() @MaxLength(128) query?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) page?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) pageSize?: number;
}

// --- user lifecycle: TOTP and passwords set by a super-user (issue 9) ---

export class EnableTotpDto {
  @ApiPropertyOptional({ maxLength: 256, description: 'A base32 key (A-Z, 2-7; at least 26 characters). Without it, one is generated.' })
  @NotNullWhenGiven() @IsString() @MaxLength(256) key?: string;
}

export class AdminSetPasswordDto {
  @ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX, description: 'At least PASSWORD_MIN_LENGTH characters.' })
  @IsString() @MinLength(1) @MaxLength(PASSWORD_MAX) password: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 36500, description: 'The password expires this many days from now; without it, never.' })
  @NotNullWhenGiven() @IsInt() @Min(1) @Max(36500) expiresInDays?: number;
  @ApiPropertyOptional({ description: 'The user must set a new password at their next login.' })
  @NotNullWhenGiven() @IsBoolean() mustChange?: boolean;
}
