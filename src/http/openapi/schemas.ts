import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { Attr, AttrMeta, ExpiryItem, JsonValue, UpdateItem } from '../../attributes/attr.types';
import type { LoginResult } from '../../auth/auth.service';
import { ERROR_STATUS, ErrorCode } from '../../common/error-codes';
import type { ErrorBody } from '../../common/tessera-error';
import type { SessionView } from '../../sessions/session.entity';
import type { ListedSession } from '../../sessions/sessions.service';
import type { ApprovalStatus, SignUpStatus, UserView } from '../../users/user.entity';
import type { UserPage, UserSearchPage } from '../../users/user.types';
import { LINKED_AUTH_TYPES, type LinkedAuth, type LinkedAuthType } from '../../users/linked-auth.service';
import type { SignUpResult } from '../../users/signup.service';

/**
 * The JSON shapes of Tessera's answers and of the attribute bodies (parsed by hand in attr-input.ts),
 * for the OpenAPI document only. Each class is checked against the core type it describes (`JsonOf`
 * plus `SameKeys`), so a field added to a view without its description fails the build.
 */

/** A type as it travels in JSON: dates become ISO strings. */
type JsonOf<T> = T extends Date
  ? string
  : T extends JsonValue
    ? T
    : T extends Array<infer U>
      ? Array<JsonOf<U>>
      : T extends object
        ? { [K in keyof T]: JsonOf<T[K]> }
        : T;
/** `true` only when A and B have exactly the same keys. */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
const sameKeys = <A, B>(check: SameKeys<A, B>) => check;

/** Any JSON value; `{}` is the schema that admits every value, `null` included. */
export const JSON_VALUE_SCHEMA = { description: 'Any JSON value (null, 0, "" and false included).' };
const jsonValue = { allOf: [{ $ref: getSchemaPath('JsonValue') }] };
const uuid = { type: String, format: 'uuid' } as const;
const dateTime = { type: String, format: 'date-time', example: '2026-01-01T12:00:00.000Z' } as const;
const nullableDateTime = { ...dateTime, nullable: true } as const;
const nullableString = { type: String, nullable: true } as const;

export const ATTR_NAME = {
  type: String,
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f/]+$',
  description: '1-128 characters, no control characters, no "/".',
} as const;
const expiration = {
  type: 'integer',
  minimum: 1,
  maximum: 2147483647,
  description: 'Whole seconds from now; null: no own expiry.',
  nullable: true,
} as const;
const encrypt = { type: Boolean, description: 'Seal the value at rest; absent: ATTR_ENCRYPT_DEFAULT (an update keeps the stored form).' } as const;

// ---- answers ----

export class SessionResponse implements JsonOf<SessionView> {
  @ApiProperty(uuid) id: string;
  @ApiProperty(uuid) userId: string;
  @ApiProperty() currentApp: string;
  @ApiProperty(nullableString) remoteAddr: string | null;
  @ApiProperty(nullableString) userAgent: string | null;
  @ApiProperty(dateTime) createdAt: string;
  @ApiProperty({ ...dateTime, description: 'Idle expiry: SESSION_TTL after login or last use.' }) expiresAt: string;
  @ApiProperty({ ...dateTime, description: 'SESSION_MAX_TTL after login; never extended.' }) absoluteExpiresAt: string;
}
sameKeys<SessionResponse, SessionView>(true);

export class ListedSessionResponse extends SessionResponse implements JsonOf<ListedSession> {
  @ApiProperty({ description: 'true only for the session that asked ("this device").' }) current: boolean;
}
sameKeys<ListedSessionResponse, ListedSession>(true);

export class SessionListResponse {
  @ApiProperty({ type: [ListedSessionResponse] }) sessions: ListedSessionResponse[];
}

export class LoginResponse implements JsonOf<LoginResult> {
  @ApiPropertyOptional({
    description:
      'The user session token (256 random bits, 43 URL-safe characters); only this call returns it. ' +
      'Absent when the login asked for the session cookie (`cookie: true`): the cookie carries it instead.',
  })
  ust: string;
  @ApiProperty({ type: SessionResponse }) session: SessionResponse;
  @ApiProperty({ type: [String], description: 'e.g. password_expiring' }) warnings: string[];
}
sameKeys<LoginResponse, LoginResult>(true);

export class VerifyResponse {
  @ApiProperty() valid: boolean;
}

const APPROVAL_STATUSES: ApprovalStatus[] = ['approved', 'pending', 'rejected'];

export class UserResponse implements JsonOf<UserView> {
  @ApiProperty(uuid) id: string;
  @ApiProperty() username: string;
  @ApiProperty(nullableString) email: string | null;
  @ApiProperty(nullableString) displayName: string | null;
  @ApiProperty(nullableString) firstName: string | null;
  @ApiProperty(nullableString) middleName: string | null;
  @ApiProperty(nullableString) lastName: string | null;
  @ApiProperty() isSuperUser: boolean;
  @ApiProperty() isLocked: boolean;
  @ApiProperty({ enum: APPROVAL_STATUSES, enumName: 'ApprovalStatus' }) approvalStatus: ApprovalStatus;
  @ApiProperty({ ...nullableString, description: 'Who last set approvalStatus: a user id, or "auto".' }) approvalStatusModBy: string | null;
  @ApiProperty(nullableDateTime) approvalStatusModTime: string | null;
  @ApiProperty({ enum: ['before_confirmation', 'final'], description: 'before_confirmation: a sign-up not yet confirmed.' }) signUpStatus: SignUpStatus;
  @ApiProperty(dateTime) passwordLastSet: string;
  @ApiProperty(nullableDateTime) passwordExpiresAt: string | null;
  @ApiProperty() passwordMustChange: boolean;
  @ApiProperty(dateTime) createdAt: string;
  @ApiProperty(dateTime) updatedAt: string;
}
sameKeys<UserResponse, UserView>(true);

export class TotpEnrollmentResponse {
  @ApiProperty({ description: 'The base32 key, answered this once only.' }) key: string;
  @ApiProperty({ description: 'otpauth:// URI of the key, for an authenticator app (QR code).' }) uri: string;
}

export class PasswordResetRequestedResponse {
  @ApiProperty({ enum: ['requested'], description: 'The same answer whether or not the user exists.' }) status: 'requested';
}

export class PasswordResetAccessResponse {
  @ApiProperty({ description: 'Sets the password together with the token; valid for at most 10 minutes.' }) resetKey: string;
  @ApiProperty(dateTime) expiresAt: string;
}

export class UserPageResponse implements JsonOf<UserPage> {
  @ApiProperty({ type: [UserResponse] }) users: UserResponse[];
  @ApiProperty({ type: 'integer' }) page: number;
  @ApiProperty({ type: 'integer' }) pageSize: number;
  @ApiProperty({ type: 'integer' }) total: number;
}
sameKeys<UserPageResponse, UserPage>(true);

export class AttrMetaResponse implements JsonOf<AttrMeta> {
  @ApiProperty(ATTR_NAME) name: string;
  @ApiProperty() encrypted: boolean;
  @ApiProperty(dateTime) createdAt: string;
  @ApiProperty(dateTime) updatedAt: string;
  @ApiProperty({ ...nullableDateTime, description: "The earlier of the attribute's own expiry and, for a session attribute, its session's." })
  expiresAt: string | null;
}
sameKeys<AttrMetaResponse, AttrMeta>(true);

export class AttrResponse extends AttrMetaResponse implements JsonOf<Attr> {
  @ApiProperty(jsonValue) value: JsonValue;
}
sameKeys<AttrResponse, Attr>(true);

export class AttrMetaListResponse {
  @ApiProperty({ type: [AttrMetaResponse] }) attrs: AttrMetaResponse[];
}

export class AttrOrNullListResponse {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(AttrResponse) }, { type: 'null' }] },
    description: 'One entry per asked name, in the order asked; null for a missing one.',
  })
  attrs: Array<AttrResponse | null>;
}

export class ExistsListResponse {
  @ApiProperty({ type: [Boolean], description: 'One entry per asked name, in the order asked.' }) exists: boolean[];
}

export class DeletedListResponse {
  @ApiProperty({ type: [String] }) deleted: string[];
}

export class ErrorResponse implements ErrorBody {
  @ApiProperty({ type: 'integer', description: 'The HTTP status.' }) statusCode: number;
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), enumName: 'ErrorCode', description: 'Stable; clients match on it.' }) code: ErrorCode;
  @ApiProperty({ description: 'For people; never carries a value, a UST or a password.' }) message: string;
}
sameKeys<ErrorResponse, ErrorBody>(true);

// ---- attribute bodies (checked by hand in attr-input.ts, described here) ----

class WriteOptionsBody {
  @ApiPropertyOptional(expiration) expiration?: number | null;
  @ApiPropertyOptional(encrypt) encrypt?: boolean;
}

export class CreateAttrBody extends WriteOptionsBody {
  @ApiProperty(ATTR_NAME) name: string;
  @ApiProperty(jsonValue) value: unknown;
}

export class SetAttrBody extends WriteOptionsBody {
  @ApiProperty(jsonValue) value: unknown;
}

export class UpdateAttrBody extends WriteOptionsBody implements Omit<JsonOf<UpdateItem>, 'name'> {
  @ApiPropertyOptional({ ...jsonValue, description: 'Absent: the value stays; {encrypt} alone re-seals or unseals it in place.' })
  value?: JsonValue;
}

export class UpdateBatchItem extends UpdateAttrBody {
  @ApiProperty(ATTR_NAME) name: string;
}

export class ExpiryBatchItem implements ExpiryItem {
  @ApiProperty(ATTR_NAME) name: string;
  @ApiProperty({ ...expiration, required: true }) expiration: number | null;
}

export class NameItem {
  @ApiProperty(ATTR_NAME) name: string;
}

export class WriteBatchBody extends WriteOptionsBody {
  @ApiProperty({ type: [CreateAttrBody], description: 'Each item may override the defaults beside data.' }) data: CreateAttrBody[];
}

export class UpdateBatchBody extends WriteOptionsBody {
  @ApiProperty({ type: [UpdateBatchItem] }) data: UpdateBatchItem[];
}

export class ExpiryBatchBody {
  @ApiProperty({ type: [ExpiryBatchItem] }) data: ExpiryBatchItem[];
}

export class NameBatchBody {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ ...ATTR_NAME, type: 'string' }, { $ref: getSchemaPath(NameItem) }] },
    description: 'Names, as strings or {name}.',
  })
  data: Array<string | NameItem>;
}

/** Schemas referenced only by `$ref` (no decorator mentions the class itself). */
export const EXTRA_MODELS = [NameItem, AttrResponse, ErrorResponse];

// ---- sign-up, search and linked auth records ----

export class SignUpResponse implements JsonOf<Omit<SignUpResult, 'userId'>> {
  @ApiProperty({ description: 'Send it back with PATCH /auth/signup; only its hash is kept, this is the only copy.' }) confirmToken: string;
  @ApiProperty(dateTime) expiresAt: string;
}

export class UserSearchPageResponse extends UserPageResponse implements JsonOf<UserSearchPage> {
  @ApiProperty({ type: 'integer' }) numPages: number;
  @ApiProperty() hasNextPage: boolean;
  @ApiProperty() hasPrevPage: boolean;
}
sameKeys<UserSearchPageResponse, UserSearchPage>(true);

export class LinkedAuthResponse implements JsonOf<LinkedAuth> {
  @ApiProperty(uuid) userId: string;
  @ApiProperty({ enum: LINKED_AUTH_TYPES }) authType: LinkedAuthType;
  @ApiProperty() authUsername: string;
  @ApiProperty() isActive: boolean;
  @ApiProperty(dateTime) createdAt: string;
}
sameKeys<LinkedAuthResponse, LinkedAuth>(true);

export class LinkedAuthListResponse {
  @ApiProperty({ type: [LinkedAuthResponse] }) linked: LinkedAuthResponse[];
}
