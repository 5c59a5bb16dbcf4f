import { Body, Controller, Get, Module, Post, UsePipes, ValidationPipe } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { IsString, Length } from 'class-validator';
import { Authenticated, CurrentSession } from 'tessera';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Repository } from 'typeorm';

/**
 * The host's own table, on the host's own TypeORM connection. The `example_` prefix keeps it clear
 * of Tessera's `sso_*` tables, which Tessera reaches through its own pool.
 */
@Entity('example_note')
export class Note {
  @PrimaryGeneratedColumn() id: number;
  /** The Tessera user who wrote it (a plain column: the host does not reach into Tessera's tables). */
  @Index() @Column({ name: 'user_id', type: 'uuid' }) userId: string;
  @Column() text: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

export class NewNoteDto {
  @IsString() @Length(1, 1000) text: string;
}

/** Each user's own notes. */
@Controller('notes')
@Authenticated()
// On the host's own controllers, not global: a global pipe would also run on Tessera's routes (docs/embedding.md).
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class NotesController {
  constructor(@InjectRepository(Note) private readonly notes: Repository<Note>) {}

  @Post()
  create(@CurrentSession() { user }: CurrentSession, @Body() body: NewNoteDto): Promise<Note> {
    return this.notes.save(this.notes.create({ userId: user.id, text: body.text }));
  }

  @Get()
  async mine(@CurrentSession() { user }: CurrentSession) {
    return { notes: await this.notes.find({ where: { userId: user.id }, order: { id: 'ASC' } }) };
  }
}

@Module({ imports: [TypeOrmModule.forFeature([Note])], controllers: [NotesController] })
export class NotesModule {}
