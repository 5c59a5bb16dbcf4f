import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { ILike, Repository } from 'typeorm';
import { PasswordHasher } from '../crypto/password-hasher.service';
import { AppError, Errors } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SessionsService } from '../sessions/sessions.service';
import { AdminUpdateUserDto, CreateUserDto, UpdateProfileDto } from './dto/user.dto';
import { toUserView, UserEntity, UserView } from './user.entity';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(input: CreateUserDto): Promise<UserView> {
    this.checkPasswordPolicy(input.password);
    const passwordHash = await this.hasher.hash(input.password);
    const now = new Date();
    const user = this.users.create({
      id: randomUUID(),
      username: input.username,
      passwordHash,
      email: input.email ?? null,
      displayName: input.displayName ?? null,
      isSuperUser: input.isSuperUser ?? false,
      isLocked: false,
      approvalStatus: input.approvalStatus ?? 'approved',
      passwordLastSet: now,
      passwordExpiresAt: input.passwordExpiresAt ?? null,
      passwordMustChange: input.passwordMustChange ?? false,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.users.insert(user);
    } catch (error) {
      throw uniqueUsername(error);
    }
    return toUserView(user);
  }

  /** The user of `username`, compared case-insensitively, with its password hash (login only). */
  findForLogin(username: string): Promise<UserEntity | null> {
    return this.users.createQueryBuilder('u').where('lower(u.username) = lower(:username)', { username }).getOne();
  }

  async get(id: string): Promise<UserView> {
    return toUserView(await this.getEntity(id));
  }

  async list(query: string | undefined, page = 1, pageSize = 50) {
    const where = query ? { username: ILike(`%${query.replace(/[\\%_]/g, '\\$&')}%`) } : {};
    const [users, total] = await this.users.findAndCount({
      where,
      order: { username: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { users: users.map(toUserView), page, pageSize, total };
  }

  async update(id: string, patch: UpdateProfileDto | AdminUpdateUserDto): Promise<UserView> {
    const user = await this.getEntity(id);
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    Object.assign(user, changes, { updatedAt: new Date() });
    try {
      await this.users.update({ id }, { ...changes, updatedAt: user.updatedAt });
    } catch (error) {
      throw uniqueUsername(error);
    }
    return toUserView(user);
  }

  /** Deletes the user; its sessions and attributes go with it (foreign keys cascade). */
  async delete(id: string): Promise<void> {
    const result = await this.users.delete({ id });
    if (!result.affected) throw userNotFound();
  }

  /**
   * Locking takes effect at once (session lookups refuse sessions of locked users) and ends the
   * user's sessions, so unlocking later does not bring old sessions back.
   */
  async setLocked(id: string, isLocked: boolean): Promise<UserView> {
    const result = await this.users.update({ id }, { isLocked, updatedAt: new Date() });
    if (!result.affected) throw userNotFound();
    if (isLocked) await this.sessions.revokeAllOfUser(id);
    return this.get(id);
  }

  /** Changes the password after checking the old one, and revokes every other session of the user. */
  async changePassword(userId: string, currentSessionId: string | undefined, oldPassword: string, newPassword: string) {
    const user = await this.getEntity(userId);
    if (!(await this.hasher.verify(user.passwordHash, oldPassword))) throw Errors.invalidCredentials();
    await this.setPassword(userId, newPassword);
    await this.sessions.revokeAllOfUser(userId, currentSessionId);
  }

  async setPassword(userId: string, newPassword: string): Promise<void> {
    this.checkPasswordPolicy(newPassword);
    const passwordHash = await this.hasher.hash(newPassword);
    const now = new Date();
    await this.users.update(
      { id: userId },
      { passwordHash, passwordLastSet: now, passwordMustChange: false, passwordExpiresAt: null, updatedAt: now },
    );
  }

  private checkPasswordPolicy(password: string) {
    if ([...password].length < this.config.passwordMinLength) {
      throw Errors.validation(`password must be at least ${this.config.passwordMinLength} characters`);
    }
  }

  private async getEntity(id: string): Promise<UserEntity> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw userNotFound();
    return user;
  }
}

function userNotFound(): AppError {
  return Errors.notFound('user_not_found', 'no such user');
}

function uniqueUsername(error: unknown): unknown {
  const code = (error as { driverError?: { code?: string } }).driverError?.code;
  return code === UNIQUE_VIOLATION ? Errors.conflict('user_exists', 'a user with this username exists') : error;
}
