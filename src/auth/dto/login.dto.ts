import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @IsString() @MinLength(1) @MaxLength(128) username: string;
  @IsString() @MinLength(1) @MaxLength(1024) password: string;
  @IsString() @MinLength(1) @MaxLength(128) currentApp: string;
  /** Sets a new password during login; required when the password expired or must be changed. */
  @IsOptional() @IsString() @MinLength(1) @MaxLength(1024) newPassword?: string;
}
