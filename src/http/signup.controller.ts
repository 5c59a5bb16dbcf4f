import { Body, Header, Patch, Post, Req } from '@nestjs/common';
import { LoginLimits } from '../auth/login-limits.service';
import { SignupService } from '../users/signup.service';
import { clientInfo, HttpRequest } from './bearer';
import { ConfirmSignUpDto, SignUpDto } from './dto/lifecycle.dto';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { SignUpResponse, UserResponse } from './openapi/schemas';
import { TesseraController } from './tessera-controller';

/**
 * Self-service sign-up and its confirmation (docs/api.md#user-lifecycle). Each sign-up is counted
 * against the client's address like a failed login, so one address cannot make users without end.
 */
@TesseraController('auth')
@ApiGroup('auth')
export class SignupController {
  constructor(
    private readonly signup: SignupService,
    private readonly limits: LoginLimits,
  ) {}

  @Post('signup')
  @ApiCall({
    summary: 'Sign up from an app of SIGNUP_APPS; answers the confirmation token',
    status: 201, response: SignUpResponse, auth: 'none', hasBody: true,
    errors: ['signup_not_allowed', 'app_not_allowed', 'user_exists', 'rate_limited'],
  })
  // The answer carries the confirmation token: no cache may keep a copy.
  @Header('Cache-Control', 'no-store')
  async signUp(@Body() body: SignUpDto, @Req() request: HttpRequest) {
    const { remoteAddr } = clientInfo(request);
    await this.limits.countRequest('signup', null, remoteAddr);
    const { confirmToken, expiresAt } = await this.signup.signUp(body, { remoteAddr, app: body.app });
    return { confirmToken, expiresAt };
  }

  @Patch('signup')
  @ApiCall({
    summary: 'Confirm a sign-up with its token (once); answers the user, pending or approved',
    response: UserResponse, auth: 'none', hasBody: true,
    errors: ['signup_token_invalid', 'signup_token_expired', 'signup_confirmed'],
  })
  confirm(@Body() body: ConfirmSignUpDto, @Req() request: HttpRequest) {
    return this.signup.confirm(body.token, { remoteAddr: clientInfo(request).remoteAddr });
  }
}
