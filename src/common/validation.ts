import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { Errors } from './app-error';

/** Flattens class-validator errors into one line; default messages name the field, never its value. */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((m) =>
      m.startsWith(error.property) ? path + m.slice(error.property.length) : m,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}

/** True when any string in `value` (recursively) holds a NUL character, which PostgreSQL text cannot. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') return Object.values(value).some(containsNul);
  return false;
}

/**
 * Unknown fields are rejected, known ones checked, and the failure is `400 validation_failed`.
 * Bodies and queries bound to a DTO class may not carry NUL characters (attribute bodies are not
 * DTOs: their values are JSON, stored as JSON text, where a NUL stays escaped).
 */
class TesseraValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.metatype && metadata.metatype !== Object && containsNul(value)) {
      throw Errors.validation(`${metadata.type === 'query' ? 'query' : 'body'} must not contain NUL characters`);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new TesseraValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => Errors.validation(describeValidationErrors(errors).join('; ') || 'invalid request'),
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Path ids are UUIDs; anything else is `400 validation_failed` before it reaches the database. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUuid(value)) throw Errors.validation(`${metadata.data ?? 'id'} must be a UUID`);
    return value.toLowerCase();
  }
}
