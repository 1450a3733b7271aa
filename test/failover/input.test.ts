import { describe, expect, it } from 'vitest';
import { FailoverPayload } from '../../functions/failover.js';
import { InputError } from '../../shared/errors.js';
import { parseInput } from '../../shared/input.js';

const ID = 'i-0123456789abcdef0';

/** The field parseInput names for `payload`. */
function field(payload: unknown): string {
  try {
    parseInput(FailoverPayload, payload);
  } catch (error) {
    if (error instanceof InputError) return error.field;
    throw error;
  }
  throw new Error('the payload was accepted');
}

describe('failover payload', () => {
  it.each([
    [{ action: 'status' }],
    [{ action: 'status', group: 'web' }],
    [{ action: 'failover', group: 'web', to: ID, from: 'i-0123abcd', dryRun: true, reason: 'maintenance' }],
    [{ action: 'failback', group: 'web.tier:1_a-b', dryRun: false }],
    [{ action: 'drill', group: 'web' }],
    [{ action: 'drill', group: 'web', backAfterSeconds: 180, stay: false }],
  ])('accepts %j unchanged', (payload) => {
    expect(parseInput(FailoverPayload, payload)).toEqual(payload);
  });

  it.each([
    ['`to` with a bad instance ID', { action: 'failover', group: 'web', to: 'i-12345' }, 'to'],
    ['`to` in upper case', { action: 'failover', group: 'web', to: ID.toUpperCase() }, 'to'],
    ['`from` with shell in it', { action: 'failover', group: 'web', from: `${ID};reboot` }, 'from'],
    ['an unknown key', { action: 'failover', group: 'web', force: true }, 'force'],
    ['`to` on failback', { action: 'failback', group: 'web', to: ID }, 'to'],
    ['an unknown action', { action: 'reboot', group: 'web' }, 'action'],
    ['no action', { group: 'web' }, 'action'],
    ['a group with a space', { action: 'failover', group: 'web tier' }, 'group'],
    ['a group of 65 characters', { action: 'failback', group: 'g'.repeat(65) }, 'group'],
    ['no group', { action: 'failback' }, 'group'],
    ['dryRun as a string', { action: 'failover', group: 'web', dryRun: 'true' }, 'dryRun'],
    ['a drill without a group', { action: 'drill' }, 'group'],
    ['a drill back after more than 180 s', { action: 'drill', group: 'web', backAfterSeconds: 181 }, 'backAfterSeconds'],
    ['a drill back after a fraction of a second', { action: 'drill', group: 'web', backAfterSeconds: 1.5 }, 'backAfterSeconds'],
    ['a drill back after a negative time', { action: 'drill', group: 'web', backAfterSeconds: -1 }, 'backAfterSeconds'],
    ['stay as a string', { action: 'drill', group: 'web', stay: 'yes' }, 'stay'],
    ['a reason on a drill', { action: 'drill', group: 'web', reason: 'game day' }, 'reason'],
    ['an empty reason', { action: 'failover', group: 'web', reason: '' }, 'reason'],
    ['a reason over 500 characters', { action: 'failover', group: 'web', reason: 'x'.repeat(501) }, 'reason'],
    ['an array', [], 'payload'],
    ['null', null, 'payload'],
    ['a string', 'status', 'payload'],
  ])('names the field for %s', (_name, payload, expected) => {
    expect(field(payload)).toBe(expected);
  });

  it('says which field and why in the message, and keeps the zod error as the cause', () => {
    const error = (() => {
      try {
        return parseInput(FailoverPayload, { action: 'failover', group: 'web', to: 'nope' });
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe("Invalid input at 'to': must be an instance ID (i-…)");
    expect((error as InputError).context).toEqual({ field: 'to' });
    expect((error as InputError).cause).toBeDefined();
  });
});
