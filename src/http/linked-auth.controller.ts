import { Body, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { LinkedAuthService } from '../users/linked-auth.service';
import { auditContext } from './audit-context';
import { HttpRequest } from './bearer';
import { LinkAuthDto, UnlinkAuthDto } from './dto/lifecycle.dto';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { LinkedAuthListResponse, LinkedAuthResponse } from './openapi/schemas';
import { Authenticated, CurrentSession, SuperUserOnly } from './session.guard';
import { TesseraController } from './tessera-controller';
import { UuidPipe } from './validation.pipe';

/** Linked auth records: external identities (basic_auth, jwt) of a user. */
@TesseraController('users')
@ApiGroup('users')
export class LinkedAuthController {
  constructor(private readonly linked: LinkedAuthService) {}

  @Get('me/linked')
  @ApiCall({ summary: "The caller's linked auth records", response: LinkedAuthListResponse, auth: 'session' })
  @Authenticated()
  async listMine(@CurrentSession() { user }: CurrentSession) {
    return { linked: await this.linked.list(user.id) };
  }

  @Get(':id/linked')
  @ApiCall({ summary: "A user's linked auth records", response: LinkedAuthListResponse, auth: 'super-user', errors: ['user_not_found'] })
  @SuperUserOnly()
  async list(@Param('id', UuidPipe) id: string) {
    return { linked: await this.linked.list(id) };
  }

  @Post(':id/linked')
  @ApiCall({
    summary: 'Link an auth record to a user', status: 201, response: LinkedAuthResponse, auth: 'super-user', hasBody: true,
    errors: ['user_not_found', 'linked_auth_exists'],
  })
  @SuperUserOnly()
  add(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Body() body: LinkAuthDto, @Req() request: HttpRequest) {
    return this.linked.add(id, body, auditContext(current, request));
  }

  @Delete(':id/linked')
  @ApiCall({
    summary: 'Unlink an auth record from a user', status: 204, auth: 'super-user', hasBody: true,
    errors: ['user_not_found', 'linked_auth_not_found'],
  })
  @HttpCode(204)
  @SuperUserOnly()
  async remove(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Body() body: UnlinkAuthDto, @Req() request: HttpRequest) {
    await this.linked.remove(id, body, auditContext(current, request));
  }
}
