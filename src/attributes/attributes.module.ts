import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { attrController } from './attr.controller';
import { SessionAttrService, UserAttrService } from './attr.service';
import { KeyRotationService } from './key-rotation.service';

@Module({
  imports: [SessionsModule],
  controllers: [attrController('sessions', 'current', SessionAttrService), attrController('users', 'me', UserAttrService)],
  providers: [SessionAttrService, UserAttrService, KeyRotationService],
  exports: [SessionAttrService, UserAttrService, KeyRotationService],
})
export class AttributesModule {}
