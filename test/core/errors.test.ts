import { describe, expect, it } from 'vitest';
import { AwsCallError, FailoverError, InputError } from '../../shared/errors.js';

describe('errors', () => {
  it('names the field of bad input and keeps it as context', () => {
    const error = new InputError('group', 'must be a non-empty string');
    expect(error).toBeInstanceOf(FailoverError);
    expect(error.name).toBe('InputError');
    expect(error.message).toBe("Invalid input at 'group': must be a non-empty string");
    expect(error.context).toEqual({ field: 'group' });
  });

  it('keeps the SDK error as cause and says whether to retry', () => {
    const sdk = new Error('Rate exceeded');
    const error = new AwsCallError('ReplaceRoute', 'RequestLimitExceeded', 'Rate exceeded', {
      retriable: true,
      cause: sdk,
      context: { routeTableId: 'rtb-1' },
    });
    expect(error.cause).toBe(sdk);
    expect(error.retriable).toBe(true);
    expect(error.message).toContain('ReplaceRoute failed (RequestLimitExceeded)');
  });
});
