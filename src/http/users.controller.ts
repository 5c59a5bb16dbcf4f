import { Body, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { UsersService } from '../users/users.service';
import { auditContext } from './audit-context';
import { HttpRequest } from './bearer';
import { AdminUpdateUserDto, ChangePasswordDto, CreateUserDto, ListUsersQuery, UpdateProfileDto } from './dto/user.dto';
import { Authenticated, CurrentSession, SuperUserOnly } from './session.guard';
import { TesseraController } from './tessera-controller';
import { UuidPipe } from './validation.pipe';

@TesseraController('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @SuperUserOnly()
  create(@CurrentSession() current: CurrentSession, @Body() body: CreateUserDto, @Req() request: HttpRequest) {
    return this.users.create(body, auditContext(current, request));
  }

  @Get()
  @SuperUserOnly()
  list(@Query() query: ListUsersQuery) {
    return this.users.list(query.query, query.page, query.pageSize);
  }

  @Get('me')
  @Authenticated()
  me(@CurrentSession() { user }: CurrentSession) {
    return user;
  }

  @Patch('me')
  @Authenticated()
  updateMe(@CurrentSession() current: CurrentSession, @Body() body: UpdateProfileDto, @Req() request: HttpRequest) {
    return this.users.update(current.user.id, body, auditContext(current, request));
  }

  @Put('me/password')
  @HttpCode(204)
  @Authenticated()
  async changePassword(@CurrentSession() current: CurrentSession, @Body() body: ChangePasswordDto, @Req() request: HttpRequest) {
    const { session, user } = current;
    await this.users.changePassword(user.id, session.id, body.oldPassword, body.newPassword, auditContext(current, request));
  }

  @Get(':id')
  @SuperUserOnly()
  get(@Param('id', UuidPipe) id: string) {
    return this.users.get(id);
  }

  @Patch(':id')
  @SuperUserOnly()
  update(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Body() body: AdminUpdateUserDto, @Req() request: HttpRequest) {
    return this.users.update(id, body, auditContext(current, request));
  }

  @Delete(':id')
  @HttpCode(204)
  @SuperUserOnly()
  async delete(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    if (id === current.user.id) throw Errors.forbidden('a super-user cannot delete their own account');
    await this.users.delete(id, auditContext(current, request));
  }

  @Post(':id/lock')
  @HttpCode(200)
  @SuperUserOnly()
  lock(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    if (id === current.user.id) throw Errors.forbidden('a super-user cannot lock their own account');
    return this.users.setLocked(id, true, auditContext(current, request));
  }

  @Delete(':id/lock')
  @SuperUserOnly()
  unlock(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    return this.users.setLocked(id, false, auditContext(current, request));
  }
}
