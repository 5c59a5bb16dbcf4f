import { Module } from '@nestjs/common';
import { attrController } from './attr.controller';
import { SessionAttrService, UserAttrService } from './attr.service';

@Module({
  controllers: [attrController('sessions', 'current', SessionAttrService), attrController('users', 'me', UserAttrService)],
  providers: [SessionAttrService, UserAttrService],
  exports: [SessionAttrService, UserAttrService],
})
export class AttributesModule {}
