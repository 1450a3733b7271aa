/**
 * Errors the world throws, shaped like the ones the SDK v3 deserializers build from a real error
 * response: a ServiceException subclass whose `name` is the AWS error code, with `$fault`,
 * `$metadata.httpStatusCode` and the `Code`/`Message` fields the query protocols add.
 */
import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import * as ssm from '@aws-sdk/client-ssm';

/** What every SDK v3 service exception carries (the smithy ServiceException base, without importing smithy). */
export type ServiceException = Error & {
  readonly $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
};

export type WorldService = 'ec2' | 'ssm' | 'autoscaling';

/** HTTP statuses of the error codes that are not 400. */
const STATUS: Readonly<Record<string, number>> = {
  RequestLimitExceeded: 503,
  InternalError: 500,
  InternalFailure: 500,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  Unavailable: 503,
  ServerInternal: 500,
  InsufficientInstanceCapacity: 500,
};

let requestCounter = 0;

function metadata(httpStatusCode: number): ServiceException['$metadata'] {
  requestCounter += 1;
  return {
    httpStatusCode,
    requestId: `00000000-0000-4000-8000-${requestCounter.toString(16).padStart(12, '0')}`,
    attempts: 1,
    totalRetryDelay: 0,
  };
}

type ExceptionCtor = new (options: Record<string, unknown>) => ServiceException;

/** A modeled exception class of the service with that name, if the SDK has one. */
function modeled(service: WorldService, code: string): ExceptionCtor | undefined {
  const [namespace, base]: [Record<string, unknown>, unknown] =
    service === 'ssm'
      ? [ssm as Record<string, unknown>, ssm.SSMServiceException]
      : service === 'autoscaling'
        ? [asg as Record<string, unknown>, asg.AutoScalingServiceException]
        : [ec2 as Record<string, unknown>, ec2.EC2ServiceException];
  const candidate = namespace[code];
  if (typeof candidate !== 'function' || candidate === base) return undefined;
  const proto: unknown = candidate.prototype;
  return typeof base === 'function' && proto instanceof base ? (candidate as ExceptionCtor) : undefined;
}

/** Builds the error AWS would return for `code`, as the SDK client would reject with it. */
export function serviceError(service: WorldService, code: string, message: string, httpStatusCode?: number): ServiceException {
  const status = httpStatusCode ?? STATUS[code] ?? 400;
  const $fault = status >= 500 ? 'server' : 'client';
  const Ctor = modeled(service, code);
  if (Ctor) {
    const error = new Ctor({ message, Message: message, $metadata: metadata(status) });
    Object.assign(error, { Message: message });
    return error;
  }
  const Base: ExceptionCtor =
    service === 'ssm'
      ? (ssm.SSMServiceException as unknown as ExceptionCtor)
      : service === 'autoscaling'
        ? (asg.AutoScalingServiceException as unknown as ExceptionCtor)
        : (ec2.EC2ServiceException as unknown as ExceptionCtor);
  const error = new Base({ name: code, $fault, message, $metadata: metadata(status) });
  Object.assign(error, { Code: code, Message: message });
  return error;
}

export const ec2Error = (code: string, message: string): ServiceException => serviceError('ec2', code, message);
export const ssmError = (code: string, message: string): ServiceException => serviceError('ssm', code, message);
export const asgError = (code: string, message: string): ServiceException => serviceError('autoscaling', code, message);

/** What the SDK's HTTP handler rejects with when a request times out: no response, so no service error. */
export function timeoutError(operation: string): Error {
  const error = new Error(`${operation}: connection timed out (injected by VpcWorld)`);
  error.name = 'TimeoutError';
  Object.assign(error, { $metadata: { attempts: 1, totalRetryDelay: 0 } });
  return error;
}

/**
 * The world was asked for something it does not model. Never an AWS error: a test that hits
 * this must fail rather than pass on a half-simulated call.
 */
export class VpcWorldUnsupportedError extends Error {
  constructor(message: string) {
    super(`VpcWorld does not support this: ${message}`);
    this.name = 'VpcWorldUnsupportedError';
  }
}

/** "The instance ID 'i-1' does not exist" / "The instance IDs 'i-1, i-2' do not exist". */
export function notFound(code: string, noun: string, ids: readonly string[]): ServiceException {
  const plural = ids.length > 1;
  return ec2Error(code, `The ${noun} ID${plural ? 's' : ''} '${ids.join(', ')}' do${plural ? '' : 'es'} not exist`);
}
