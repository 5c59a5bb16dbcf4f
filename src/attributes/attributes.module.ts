import { Module } from '@nestjs/common';
import { attrController } from './attr.controller';
import { SessionAttrService, UserAttrService } from './attr.service';
import { KeyRotationService } from './key-rotation.service';

@Module({
  controllers: [attrController('sessions', 'current', SessionAttrService), attrController('users', 'me', UserAttrService)],
  providers: [SessionAttrService, UserAttrService, KeyRotationService],
  exports: [SessionAttrService, UserAttrService, KeyRotationService],
})
export class AttributesModule {}
