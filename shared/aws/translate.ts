/**
 * The one place where SDK failures become project errors. Adapters wrap every AWS call as
 * `catch (error) { throw toAwsCallError('ReplaceRoute', error, { routeTableId }) }`.
 *
 * Programming errors are not translated: `toAwsCallError` rethrows anything that did not come
 * from the SDK, its HTTP stack or the network (a TypeError from a bad mapping, a RangeError, a
 * plain Error we threw ourselves) unchanged, so it propagates as the bug it is and no retry loop
 * keyed on `AwsCallError.retriable` ever sees it.
 */
import { AwsCallError } from '../errors.js';

/** Throttling codes across EC2 (RequestLimitExceeded), SSM/DynamoDB (ThrottlingException) and the smithy list. */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'SlowDown',
  'TransactionInProgressException',
]);

/** Server-side faults, from the EC2 error-code reference ("Server error codes") and the DynamoDB/SSM models. */
const SERVER_CODES: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'ServerInternal',
  'InternalServerError',
  'ServiceUnavailable',
  'Unavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Node socket errors: the request may never have reached AWS, or its answer never came back. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_HTTP2_STREAM_ERROR',
]);

/** Errors the SDK raises without a service response, by name. */
const SDK_ERROR_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'AbortError', 'CredentialsProviderError', 'TokenProviderError']);

interface SdkLikeError {
  readonly name: string;
  readonly message: string;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Same duck typing as smithy's `ServiceException.isInstance`, so errors from another SDK copy count too. */
function isSdkError(error: unknown): error is SdkLikeError {
  if (!(error instanceof Error)) return false;
  const candidate = error as unknown as Record<string, unknown>;
  if (isRecord(candidate['$metadata'])) return true;
  if (candidate['$fault'] === 'client' || candidate['$fault'] === 'server') return true;
  if (SDK_ERROR_NAMES.has(error.name)) return true;
  return typeof candidate['code'] === 'string' && NETWORK_CODES.has(candidate['code']);
}

/** The AWS error code: the SDK puts it in `name` (`InvalidRoute.NotFound`); some paths also set `Code`. */
function codeOf(error: SdkLikeError): string {
  if (typeof error.Code === 'string' && error.Code.length > 0) return error.Code;
  if (error.name && error.name !== 'Error') return error.name;
  if (typeof error.code === 'string') return error.code;
  return 'UnknownError';
}

function isRetriable(error: SdkLikeError, code: string): boolean {
  if (error.name === 'AbortError') return false;
  if (THROTTLING_CODES.has(code) || SERVER_CODES.has(code)) return true;
  if (typeof error.code === 'string' && NETWORK_CODES.has(error.code)) return true;
  const status = error.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return error.$retryable !== undefined && error.$retryable !== null;
}

/**
 * Translates an error from an AWS call into an `AwsCallError` carrying the operation, the AWS
 * error code, `retriable`, `context` and the original as `cause`.
 *
 * An `AwsCallError` passed in is returned as is (context merged), so nested wrappers are harmless.
 * @throws the input itself, unchanged, when it is not an SDK or network error (a programming error).
 */
export function toAwsCallError(operation: string, error: unknown, context: Record<string, string> = {}): AwsCallError {
  if (error instanceof AwsCallError) {
    if (Object.keys(context).length === 0) return error;
    return new AwsCallError(error.operation, error.code, messageOf(error), {
      context: { ...context, ...error.context },
      retriable: error.retriable,
      cause: error.cause,
    });
  }
  if (!isSdkError(error)) throw error;
  const code = codeOf(error);
  return new AwsCallError(operation, code, error.message || code, {
    context,
    retriable: isRetriable(error, code),
    cause: error,
  });
}

/** The SDK's own message, without the `<operation> failed (<code>): ` prefix AwsCallError adds. */
function messageOf(error: AwsCallError): string {
  const prefix = `${error.operation} failed (${error.code}): `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/** True when `error` is an SDK error or an AwsCallError whose AWS error code is one of `codes`. */
export function isAwsErrorCode(error: unknown, ...codes: readonly string[]): boolean {
  if (error instanceof AwsCallError) return codes.includes(error.code);
  if (!isSdkError(error)) return false;
  return codes.includes(codeOf(error));
}
