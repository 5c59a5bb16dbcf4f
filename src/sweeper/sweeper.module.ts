import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { SweeperService } from './sweeper.service';

@Module({ imports: [SessionsModule], providers: [SweeperService], exports: [SweeperService] })
export class SweeperModule {}
