import { IsString, MaxLength, MinLength } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';

export class PasswordResetRequestDto {
  @ApiProperty({ minLength: 1, maxLength: 320, description: 'A username, or the e-mail address of exactly one user.' })
  @IsString() @MinLength(1) @MaxLength(320) credential: string;
}

export class PasswordResetAccessDto {
  @ApiProperty({ minLength: 1, maxLength: 128, description: 'The token the user received.' })
  @IsString() @MinLength(1) @MaxLength(128) token: string;
}

export class PasswordResetCompleteDto extends PasswordResetAccessDto {
  @ApiProperty({ minLength: 1, maxLength: 128, description: 'What PATCH /auth/password-reset answered.' })
  @IsString() @MinLength(1) @MaxLength(128) resetKey: string;
  @ApiProperty({ minLength: 1, maxLength: 1024, description: 'The new password; at least PASSWORD_MIN_LENGTH characters.' })
  @IsString() @MinLength(1) @MaxLength(1024) password: string;
}
