import { Global, Module } from '@nestjs/common';
import { AttrCipher } from './attr-cipher.service';
import { PasswordHasher } from './password-hasher.service';

@Global()
@Module({ providers: [PasswordHasher, AttrCipher], exports: [PasswordHasher, AttrCipher] })
export class CryptoModule {}
