import { Module } from '@nestjs/common';
import { AttributesModule } from '../attributes/attributes.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SweeperService } from './sweeper.service';

@Module({ imports: [SessionsModule, AttributesModule], providers: [SweeperService], exports: [SweeperService] })
export class SweeperModule {}
