import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isAwsErrorCode, toAwsCallError } from '../../shared/aws/translate.js';
import { AwsCallError } from '../../shared/errors.js';

function ec2Error(name: string, httpStatusCode = 400, fault: 'client' | 'server' = 'client'): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: fault, $metadata: { httpStatusCode }, message: `${name} happened` });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`socket ${code}`), { code });
}

describe('toAwsCallError', () => {
  it('keeps operation, code, message, context and the SDK error as cause', () => {
    const sdk = ec2Error('InvalidParameterValue');

    const error = toAwsCallError('ReplaceRoute', sdk, { routeTableId: 'rtb-1' });

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.operation).toBe('ReplaceRoute');
    expect(error.code).toBe('InvalidParameterValue');
    expect(error.message).toBe('ReplaceRoute failed (InvalidParameterValue): InvalidParameterValue happened');
    expect(error.context).toEqual({ routeTableId: 'rtb-1' });
    expect(error.cause).toBe(sdk);
    expect(error.retriable).toBe(false);
  });

  it.each([
    'RequestLimitExceeded',
    'Throttling',
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'InternalError',
    'ServiceUnavailable',
    'Unavailable',
  ])('marks %s retriable', (name) => {
    expect(toAwsCallError('Op', ec2Error(name)).retriable).toBe(true);
  });

  it.each(['InvalidParameterValue', 'UnauthorizedOperation', 'InvalidRoute.NotFound', 'Resource.AlreadyAssociated'])(
    'marks %s not retriable',
    (name) => {
      expect(toAwsCallError('Op', ec2Error(name)).retriable).toBe(false);
    },
  );

  it('marks any 5xx answer retriable, whatever its code', () => {
    expect(toAwsCallError('Op', ec2Error('SomethingNew', 502, 'server')).retriable).toBe(true);
  });

  it('marks a 429 answer retriable', () => {
    expect(toAwsCallError('Op', ec2Error('SomethingNew', 429)).retriable).toBe(true);
  });

  it('classifies modelled exception classes from other clients', () => {
    const throttled = new ProvisionedThroughputExceededException({ $metadata: { httpStatusCode: 400 }, message: 'slow down' });
    const conditional = new ConditionalCheckFailedException({ $metadata: { httpStatusCode: 400 }, message: 'no' });

    expect(toAwsCallError('PutItem', throttled).retriable).toBe(true);
    expect(toAwsCallError('PutItem', conditional)).toMatchObject({ code: 'ConditionalCheckFailedException', retriable: false });
  });

  it.each(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])('marks the socket error %s retriable', (code) => {
    const error = toAwsCallError('DescribeInstances', networkError(code));

    expect(error.retriable).toBe(true);
    expect(error.code).toBe(code);
  });

  it('marks the SDK TimeoutError retriable', () => {
    const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });

    expect(toAwsCallError('SendCommand', timeout)).toMatchObject({ code: 'TimeoutError', retriable: true });
  });

  it('does not retry an aborted request', () => {
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });

    expect(toAwsCallError('SendCommand', aborted)).toMatchObject({ code: 'AbortError', retriable: false });
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'Instances')")],
    ['a RangeError', new RangeError('bad length')],
    ['a plain Error without an SDK shape', new Error('oops')],
    ['a thrown string', 'boom'],
  ])('rethrows %s unchanged: a programming error is never translated', (_label, thrown) => {
    let caught: unknown;
    try {
      toAwsCallError('DescribeInstances', thrown);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBe(thrown);
  });

  it('returns an AwsCallError as is, merging new context under the existing one', () => {
    const inner = toAwsCallError('CreateRoute', ec2Error('RequestLimitExceeded'), { routeTableId: 'rtb-1' });

    const outer = toAwsCallError('ReplaceRoute', inner, { routeTableId: 'rtb-other', group: 'nat-a' });

    expect(toAwsCallError('X', inner)).toBe(inner);
    expect(outer).toMatchObject({ operation: 'CreateRoute', code: 'RequestLimitExceeded', retriable: true });
    expect(outer.context).toEqual({ routeTableId: 'rtb-1', group: 'nat-a' });
    expect(outer.message).toBe(inner.message);
    expect(outer.cause).toBe(inner.cause);
  });
});

describe('isAwsErrorCode', () => {
  it('matches the SDK error name against any of the codes', () => {
    expect(isAwsErrorCode(ec2Error('InvalidRoute.NotFound'), 'RouteAlreadyExists', 'InvalidRoute.NotFound')).toBe(true);
    expect(isAwsErrorCode(ec2Error('InvalidRoute.NotFound'), 'RouteAlreadyExists')).toBe(false);
  });

  it('matches an AwsCallError by its code', () => {
    const error = new AwsCallError('CreateRoute', 'RouteAlreadyExists', 'exists');

    expect(isAwsErrorCode(error, 'RouteAlreadyExists')).toBe(true);
  });

  it('never matches a programming error, even one named like an AWS code', () => {
    const impostor = Object.assign(new Error('x'), { name: 'InvalidRoute.NotFound' });

    expect(isAwsErrorCode(impostor, 'InvalidRoute.NotFound')).toBe(false);
    expect(isAwsErrorCode(undefined, 'InvalidRoute.NotFound')).toBe(false);
  });

  it('prefers an explicit Code over the name', () => {
    const error = Object.assign(ec2Error('Error'), { Code: 'RouteAlreadyExists' });

    expect(isAwsErrorCode(error, 'RouteAlreadyExists')).toBe(true);
  });
});
