import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { LoginInput } from '../../auth/auth.service';
import { NotNullWhenGiven } from './user.dto';

export class LoginDto implements LoginInput {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString() @MinLength(1) @MaxLength(128) username: string;
  @ApiProperty({ minLength: 1, maxLength: 1024 })
  @IsString() @MinLength(1) @MaxLength(1024) password: string;
  @ApiProperty({ minLength: 1, maxLength: 128, description: 'One of SSO_APPS.' })
  @IsString() @MinLength(1) @MaxLength(128) currentApp: string;
  /** Sets a new password during login; required when the password expired or must be changed. */
  @ApiPropertyOptional({ minLength: 1, maxLength: 1024 })
  @NotNullWhenGiven() @IsString() @MinLength(1) @MaxLength(1024) newPassword?: string;
  /** Required when the user has TOTP on; ignored when it is off. */
  @ApiPropertyOptional({ maxLength: 16, description: 'the current TOTP code; required when the user has TOTP on, ignored otherwise' })
  @NotNullWhenGiven() @IsString() @MaxLength(16) totpCode?: string;
  /** Answer with the session cookie (docs/browser.md); the body then leaves the UST out. */
  @ApiPropertyOptional({ description: 'answer with the session cookie (cookie mode); the body then leaves the UST out' })
  @IsOptional() @IsBoolean() cookie?: boolean;
}
