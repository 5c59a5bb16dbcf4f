import { Errors } from '../../common/tessera-error';
import { ZatoBadRequest } from './zato-wire';

/**
 * What the service's body parser hands the Zato routes for a body that is not JSON (or not UTF-8,
 * or nested too deeply): the route answers Zato's 400 bad-request envelope instead of Tessera's.
 */
export class InvalidJsonBody {
  readonly invalid = true;
}

/**
 * A Zato request body, read field by field. A required field that is absent answers Zato's 400;
 * a field of the wrong type is invalid input (E008002). Messages name fields, never quote values.
 */
export class ZatoInput {
  private readonly body: Record<string, unknown>;

  constructor(raw: unknown) {
    if (raw instanceof InvalidJsonBody) throw new ZatoBadRequest();
    if (raw === undefined || raw === null) raw = {};
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ZatoBadRequest();
    this.body = raw as Record<string, unknown>;
  }

  /** Whether the client sent the field at all (`null` counts as sent). */
  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.body, name);
  }

  /** The field as sent, or Zato's 400 when it is absent. */
  required(name: string): unknown {
    if (!this.has(name)) throw new ZatoBadRequest();
    return this.body[name];
  }

  /** The field as sent, `undefined` when absent. */
  get(name: string): unknown {
    return this.has(name) ? this.body[name] : undefined;
  }

  /** A text field; absent or `null` is undefined. */
  text(name: string): string | undefined {
    const value = this.get(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw Errors.validation(`${name} must be a string`);
    return value;
  }

  /** A required text field: absent is Zato's 400, anything but a string invalid input. */
  requiredText(name: string): string {
    const value = this.required(name);
    if (typeof value !== 'string') throw Errors.validation(`${name} must be a string`);
    return value;
  }

  /** A boolean; Zato's clients also send "true"/"false" and 1/0. */
  bool(name: string): boolean | undefined {
    const value = this.get(name);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 1 || value === '1') return true;
    if (value === 'false' || value === 0 || value === '0') return false;
    throw Errors.validation(`${name} must be true or false`);
  }

  /** A whole number (sent as a number or as digits). */
  int(name: string): number | undefined {
    const value = this.get(name);
    if (value === undefined || value === null || value === '') return undefined;
    const number = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw Errors.validation(`${name} must be a whole number`);
    return number;
  }
}
