import { Body, Delete, Get, Header, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { TotpService } from '../users/totp.service';
import { UsersService } from '../users/users.service';
import { auditContext } from './audit-context';
import { HttpRequest } from './bearer';
import {
  AdminSetPasswordDto, AdminUpdateUserDto, ChangePasswordDto, CreateUserDto, EnableTotpDto, ListUsersQuery, UpdateProfileDto,
} from './dto/user.dto';
import { SearchUsersQuery } from './dto/lifecycle.dto';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { TotpEnrollmentResponse, UserPageResponse, UserResponse, UserSearchPageResponse } from './openapi/schemas';
import { Authenticated, CurrentSession, SuperUserOnly } from './session.guard';
import { TesseraController } from './tessera-controller';
import { UuidPipe } from './validation.pipe';

@TesseraController('users')
@ApiGroup('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly totp: TotpService,
  ) {}

  @Post()
  @ApiCall({ summary: 'Create a user', status: 201, response: UserResponse, auth: 'super-user', hasBody: true, errors: ['user_exists'] })
  @SuperUserOnly()
  create(@CurrentSession() current: CurrentSession, @Body() body: CreateUserDto, @Req() request: HttpRequest) {
    return this.users.create(body, auditContext(current, request));
  }

  @Get()
  @ApiCall({ summary: 'Find users (username contains ?query), a page at a time', response: UserPageResponse, auth: 'super-user' })
  @SuperUserOnly()
  list(@Query() query: ListUsersQuery) {
    return this.users.list(query.query, query.page, query.pageSize);
  }

  // Declared before `:id` so that hosts matching routes in order (Express) do not take `search` for an id.
  @Get('search')
  @ApiCall({ summary: 'Search users (username, display name, email; approval, lock, sign-up status), a page at a time', response: UserSearchPageResponse, auth: 'super-user' })
  @SuperUserOnly()
  search(@Query() query: SearchUsersQuery) {
    return this.users.search(query);
  }

  @Get('me')
  @ApiCall({ summary: 'The calling user', response: UserResponse, auth: 'session' })
  @Authenticated()
  me(@CurrentSession() { user }: CurrentSession) {
    return user;
  }

  @Patch('me')
  @ApiCall({ summary: "Change the caller's profile (null clears a field)", response: UserResponse, auth: 'session', hasBody: true })
  @Authenticated()
  updateMe(@CurrentSession() current: CurrentSession, @Body() body: UpdateProfileDto, @Req() request: HttpRequest) {
    return this.users.update(current.user.id, body, auditContext(current, request));
  }

  @Put('me/password')
  @ApiCall({ summary: "Change the caller's password; the user's other sessions end", status: 204, auth: 'session', hasBody: true, errors: ['invalid_credentials'] })
  @HttpCode(204)
  @Authenticated()
  async changePassword(@CurrentSession() current: CurrentSession, @Body() body: ChangePasswordDto, @Req() request: HttpRequest) {
    const { session, user } = current;
    await this.users.changePassword(user.id, session.id, body.oldPassword, body.newPassword, auditContext(current, request));
  }

  // --- user lifecycle (issue 9): the caller's own TOTP ---

  @Put('me/totp')
  @ApiCall({ summary: 'Turn TOTP on for the caller: the given base32 key, or a generated one, answered once', response: TotpEnrollmentResponse, auth: 'session', hasBody: true })
  @Authenticated()
  @Header('Cache-Control', 'no-store')
  enableMyTotp(@CurrentSession() current: CurrentSession, @Body() body: EnableTotpDto, @Req() request: HttpRequest) {
    return this.totp.enable(current.user.id, body.key, auditContext(current, request));
  }

  @Delete('me/totp')
  @ApiCall({ summary: 'Turn TOTP off for the caller', status: 204, auth: 'session' })
  @HttpCode(204)
  @Authenticated()
  async disableMyTotp(@CurrentSession() current: CurrentSession, @Req() request: HttpRequest) {
    await this.totp.disable(current.user.id, auditContext(current, request));
  }

  @Get(':id')
  @ApiCall({ summary: 'A user', response: UserResponse, auth: 'super-user', errors: ['user_not_found'] })
  @SuperUserOnly()
  get(@Param('id', UuidPipe) id: string) {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiCall({ summary: 'Change a user', response: UserResponse, auth: 'super-user', hasBody: true, errors: ['user_not_found', 'user_exists'] })
  @SuperUserOnly()
  update(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Body() body: AdminUpdateUserDto, @Req() request: HttpRequest) {
    return this.users.update(id, body, auditContext(current, request));
  }

  @Delete(':id')
  @ApiCall({ summary: 'Delete a user (not oneself); sessions and attributes go with it', status: 204, auth: 'super-user', errors: ['user_not_found'] })
  @HttpCode(204)
  @SuperUserOnly()
  async delete(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    if (id === current.user.id) throw Errors.forbidden('a super-user cannot delete their own account');
    await this.users.delete(id, auditContext(current, request));
  }

  @Post(':id/lock')
  @ApiCall({ summary: 'Lock a user (not oneself); ends their sessions', response: UserResponse, auth: 'super-user', errors: ['user_not_found'] })
  @HttpCode(200)
  @SuperUserOnly()
  lock(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    if (id === current.user.id) throw Errors.forbidden('a super-user cannot lock their own account');
    return this.users.setLocked(id, true, auditContext(current, request));
  }

  @Post(':id/approve')
  @ApiCall({ summary: 'Approve a user; records who and when', response: UserResponse, auth: 'super-user', errors: ['user_not_found'] })
  @HttpCode(200)
  @SuperUserOnly()
  approve(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    return this.users.setApproval(id, 'approved', auditContext(current, request));
  }

  @Post(':id/reject')
  @ApiCall({ summary: 'Reject a user (not oneself); ends their sessions; records who and when', response: UserResponse, auth: 'super-user', errors: ['user_not_found'] })
  @HttpCode(200)
  @SuperUserOnly()
  reject(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    if (id === current.user.id) throw Errors.forbidden('a super-user cannot reject their own account');
    return this.users.setApproval(id, 'rejected', auditContext(current, request));
  }

  // --- user lifecycle (issue 9): a super-user sets another user's TOTP and password ---

  @Put(':id/totp')
  @ApiCall({ summary: "Turn a user's TOTP on: the given base32 key, or a generated one, answered once", response: TotpEnrollmentResponse, auth: 'super-user', hasBody: true, errors: ['user_not_found'] })
  @SuperUserOnly()
  @Header('Cache-Control', 'no-store')
  enableTotp(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Body() body: EnableTotpDto, @Req() request: HttpRequest) {
    return this.totp.enable(id, body.key, auditContext(current, request));
  }

  @Delete(':id/totp')
  @ApiCall({ summary: "Turn a user's TOTP off", status: 204, auth: 'super-user', errors: ['user_not_found'] })
  @HttpCode(204)
  @SuperUserOnly()
  async disableTotp(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    await this.totp.disable(id, auditContext(current, request));
  }

  @Put(':id/password')
  @ApiCall({ summary: "Set a user's password, optionally expiring and to be changed at next login; all their sessions end", status: 204, auth: 'super-user', hasBody: true, errors: ['user_not_found'] })
  @HttpCode(204)
  @SuperUserOnly()
  async setPassword(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Body() body: AdminSetPasswordDto, @Req() request: HttpRequest) {
    await this.users.adminSetPassword(id, body.password, { expiresInDays: body.expiresInDays, mustChange: body.mustChange }, auditContext(current, request));
  }

  @Delete(':id/lock')
  @ApiCall({ summary: 'Unlock a user', response: UserResponse, auth: 'super-user', errors: ['user_not_found'] })
  @SuperUserOnly()
  unlock(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    return this.users.setLocked(id, false, auditContext(current, request));
  }
}
