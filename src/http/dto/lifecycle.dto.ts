import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ApprovalStatus, SignUpStatus } from '../../users/user.entity';
import type { UserSearch } from '../../users/user.types';
import { LINKED_AUTH_TYPES, LinkedAuthType } from '../../users/linked-auth.service';
import type { SignUpInput } from '../../users/signup.service';
import { MAX_SEARCH_PAGE_SIZE } from '../../users/users.service';
import { NotNullWhenGiven, USERNAME_PATTERN } from './user.dto';

export class SignUpDto implements SignUpInput {
  @ApiProperty({ pattern: USERNAME_PATTERN.source })
  @IsString() @Matches(USERNAME_PATTERN, { message: 'username must be 1-128 letters, digits or ._@+-' }) username: string;
  @ApiProperty({ minLength: 1, maxLength: 1024, description: 'At least PASSWORD_MIN_LENGTH characters.' })
  @IsString() @MinLength(1) @MaxLength(1024) password: string;
  @ApiPropertyOptional({ type: String, format: 'email', maxLength: 320, nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsEmail() @MaxLength(320) email?: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 256, nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(256) displayName?: string | null;
  @ApiProperty({ minLength: 1, maxLength: 128, description: 'The app signing up from; one of SIGNUP_APPS.' })
  @IsString() @MinLength(1) @MaxLength(128) app: string;
}

export class ConfirmSignUpDto {
  @ApiProperty({ minLength: 1, maxLength: 128, description: 'The confirmToken of the sign-up answer.' })
  @IsString() @MinLength(1) @MaxLength(128) token: string;
}

/** `true`/`false` in a query string to booleans; anything else stays as sent, for @IsBoolean to refuse. */
const queryBoolean = () => Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));

export class SearchUsersQuery implements UserSearch {
  @ApiPropertyOptional({ maxLength: 320, description: 'A part of the username (any case); with exact=true the whole username.' })
  @IsOptional() @IsString() @MaxLength(320) username?: string;
  @ApiPropertyOptional({ maxLength: 320 })
  @IsOptional() @IsString() @MaxLength(320) displayName?: string;
  @ApiPropertyOptional({ maxLength: 320 })
  @IsOptional() @IsString() @MaxLength(320) email?: string;
  @ApiPropertyOptional({ type: Boolean, description: 'Match whole fields (any case) instead of parts. Default false.' })
  @IsOptional() @queryBoolean() @IsBoolean() exact?: boolean;
  @ApiPropertyOptional({ enum: ['approved', 'pending', 'rejected'] })
  @IsOptional() @IsIn(['approved', 'pending', 'rejected']) approvalStatus?: ApprovalStatus;
  @ApiPropertyOptional({ type: Boolean })
  @IsOptional() @queryBoolean() @IsBoolean() isLocked?: boolean;
  @ApiPropertyOptional({ enum: ['before_confirmation', 'final'] })
  @IsOptional() @IsIn(['before_confirmation', 'final']) signUpStatus?: SignUpStatus;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000000 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000000) page?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_SEARCH_PAGE_SIZE, description: 'Default 50.' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_SEARCH_PAGE_SIZE) pageSize?: number;
}

export class UnlinkAuthDto {
  @ApiProperty({ enum: LINKED_AUTH_TYPES })
  @IsIn(LINKED_AUTH_TYPES) authType: LinkedAuthType;
  @ApiProperty({ minLength: 1, maxLength: 256 })
  @IsString() @MinLength(1) @MaxLength(256) authUsername: string;
}

export class LinkAuthDto extends UnlinkAuthDto {
  @ApiPropertyOptional({ description: 'Default true.' })
  @NotNullWhenGiven() @IsBoolean() isActive?: boolean;
}
