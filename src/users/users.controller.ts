import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { Authenticated, Current, SuperUserOnly } from '../auth/session.guard';
import { Errors } from '../common/app-error';
import { UuidPipe } from '../common/validation';
import type { CurrentSession } from '../sessions/sessions.service';
import { AdminUpdateUserDto, ChangePasswordDto, CreateUserDto, ListUsersQuery, UpdateProfileDto } from './dto/user.dto';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @SuperUserOnly()
  create(@Body() body: CreateUserDto) {
    return this.users.create(body);
  }

  @Get()
  @SuperUserOnly()
  list(@Query() query: ListUsersQuery) {
    return this.users.list(query.query, query.page, query.pageSize);
  }

  @Get('me')
  @Authenticated()
  me(@Current() current: CurrentSession) {
    return current.user;
  }

  @Patch('me')
  @Authenticated()
  updateMe(@Current() current: CurrentSession, @Body() body: UpdateProfileDto) {
    return this.users.update(current.user.id, body);
  }

  @Put('me/password')
  @HttpCode(204)
  @Authenticated()
  async changePassword(@Current() current: CurrentSession, @Body() body: ChangePasswordDto) {
    await this.users.changePassword(current.user.id, current.session.id, body.oldPassword, body.newPassword);
  }

  @Get(':id')
  @SuperUserOnly()
  get(@Param('id', UuidPipe) id: string) {
    return this.users.get(id);
  }

  @Patch(':id')
  @SuperUserOnly()
  update(@Param('id', UuidPipe) id: string, @Body() body: AdminUpdateUserDto) {
    return this.users.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @SuperUserOnly()
  async delete(@Current() current: CurrentSession, @Param('id', UuidPipe) id: string) {
    if (id === current.user.id) throw Errors.forbidden('a super-user cannot delete their own account');
    await this.users.delete(id);
  }

  @Post(':id/lock')
  @HttpCode(200)
  @SuperUserOnly()
  lock(@Current() current: CurrentSession, @Param('id', UuidPipe) id: string) {
    if (id === current.user.id) throw Errors.forbidden('a super-user cannot lock their own account');
    return this.users.setLocked(id, true);
  }

  @Delete(':id/lock')
  @SuperUserOnly()
  unlock(@Param('id', UuidPipe) id: string) {
    return this.users.setLocked(id, false);
  }
}
