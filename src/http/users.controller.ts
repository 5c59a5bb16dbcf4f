import { Body, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { UsersService } from '../users/users.service';
import { AdminUpdateUserDto, ChangePasswordDto, CreateUserDto, ListUsersQuery, UpdateProfileDto } from './dto/user.dto';
import { Authenticated, CurrentSession, SuperUserOnly } from './session.guard';
import { TesseraController } from './tessera-controller';
import { UuidPipe } from './validation.pipe';

@TesseraController('users')
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
  me(@CurrentSession() { user }: CurrentSession) {
    return user;
  }

  @Patch('me')
  @Authenticated()
  updateMe(@CurrentSession() { user }: CurrentSession, @Body() body: UpdateProfileDto) {
    return this.users.update(user.id, body);
  }

  @Put('me/password')
  @HttpCode(204)
  @Authenticated()
  async changePassword(@CurrentSession() { session, user }: CurrentSession, @Body() body: ChangePasswordDto) {
    await this.users.changePassword(user.id, session.id, body.oldPassword, body.newPassword);
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
  async delete(@CurrentSession() { user }: CurrentSession, @Param('id', UuidPipe) id: string) {
    if (id === user.id) throw Errors.forbidden('a super-user cannot delete their own account');
    await this.users.delete(id);
  }

  @Post(':id/lock')
  @HttpCode(200)
  @SuperUserOnly()
  lock(@CurrentSession() { user }: CurrentSession, @Param('id', UuidPipe) id: string) {
    if (id === user.id) throw Errors.forbidden('a super-user cannot lock their own account');
    return this.users.setLocked(id, true);
  }

  @Delete(':id/lock')
  @SuperUserOnly()
  unlock(@Param('id', UuidPipe) id: string) {
    return this.users.setLocked(id, false);
  }
}
