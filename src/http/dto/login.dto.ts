import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { LoginInput } from '../../auth/auth.service';
import { NotNullWhenGiven } from './user.dto';

export class LoginDto implements LoginInput {
  @IsString() @MinLength(1) @MaxLength(128) username: string;
  @IsString() @MinLength(1) @MaxLength(1024) password: string;
  @IsString() @MinLength(1) @MaxLength(128) currentApp: string;
  /** Sets a new password during login; required when the password expired or must be changed. */
  @NotNullWhenGiven() @IsString() @MinLength(1) @MaxLength(1024) newPassword?: string;
  /** Answer with the session cookie (docs/browser.md); the body then leaves the UST out. */
  @IsOptional() @IsBoolean() cookie?: boolean;
}
