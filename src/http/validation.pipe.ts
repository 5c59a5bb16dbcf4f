import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { isWellFormedText } from '../common/text';
import { isUuid } from '../common/uuid';

const SAFE_FIELD = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * One line per field; messages name the field, never quote a value or a request body. A field that
 * is absent says it is required (once, not one complaint per rule); an unknown field is named only
 * when its name is plainly a field name (a form-encoded body arrives as one key holding the body).
 */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const rules = Object.keys(error.constraints ?? {});
    if (rules.includes('whitelistValidation')) {
      return [SAFE_FIELD.test(error.property) ? `${prefix ? `${prefix}.` : ''}${error.property} is not a known field` : 'the body holds an unknown field'];
    }
    if ((error.value === undefined || error.value === null) && rules.length > 0 && !rules.includes('isOptional')) {
      return [`${path} is required`];
    }
    const own = Object.values(error.constraints ?? {}).map((m) =>
      m.startsWith(error.property) ? path + m.slice(error.property.length) : m,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}

/**
 * What a DTO-bound body or query may not hold anywhere: a NUL character or an unpaired surrogate
 * (PostgreSQL text cannot hold either; the driver would turn a surrogate into U+FFFD), or an own
 * `__proto__` or `constructor` key (JSON.parse keeps them as plain keys, which object mapping would
 * drop silently instead of refusing them as unknown fields).
 */
function forbiddenContent(value: unknown): string | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'NUL characters';
    return isWellFormedText(value) ? undefined : 'unpaired surrogates';
  }
  if (value && typeof value === 'object') {
    for (const key of ['__proto__', 'constructor']) {
      if (Object.prototype.hasOwnProperty.call(value, key)) return `a "${key}" field`;
    }
    for (const inner of Object.values(value)) {
      const found = forbiddenContent(inner);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Unknown fields are rejected, known ones checked, and the failure is `400 validation_failed`.
 * Bodies and queries bound to a DTO class may not carry NUL characters or unpaired surrogates
 * (attribute bodies are not DTOs: their values are JSON, stored as JSON text, where both stay
 * escaped). Path parameters are left to their own checks (UuidPipe, attribute names' checkName),
 * whose messages name the parameter.
 */
export class TesseraValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // Values are read (to tell a missing field) but never written into a message.
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => Errors.validation(describeValidationErrors(errors).join('; ') || 'invalid request'),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata) {
    const dtoBound = (metadata.type === 'body' || metadata.type === 'query') && metadata.metatype && metadata.metatype !== Object;
    const forbidden = dtoBound ? forbiddenContent(value) : undefined;
    if (forbidden) throw Errors.validation(`${metadata.type === 'query' ? 'query' : 'body'} must not contain ${forbidden}`);
    return super.transform(value, metadata);
  }
}

/** Path ids are UUIDs; anything else is `400 validation_failed` before it reaches the database. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUuid(value)) throw Errors.validation(`${metadata.data ?? 'id'} must be a UUID`);
    return value.toLowerCase();
  }
}
