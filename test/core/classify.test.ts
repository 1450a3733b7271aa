/** Which instances can take a stop-start, and what a start that fell back to `stopped` most likely means. */
import { describe, expect, it } from 'vitest';
import { startFailureOf, stopStartAllowed, stoppedOnPurpose } from '../../shared/core/classify.js';
import type { Instance } from '../../shared/core/model.js';
import { node } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const instance = (extra: NonNullable<Parameters<typeof node>[0]['extra']>, tags: Record<string, string> = {}): Instance => node({ id: A, tags, extra });

describe('stopStartAllowed', () => {
  it.each([
    { name: 'an on-demand EBS instance', i: instance({ lifecycle: 'on-demand', rootDeviceType: 'ebs' }), expected: { ok: true } },
    { name: 'an instance the adapter said nothing about (hand-built: on-demand, EBS)', i: instance({}), expected: { ok: true } },
    { name: 'a Capacity Block instance', i: instance({ lifecycle: 'capacity-block', rootDeviceType: 'ebs' }), expected: { ok: true } },
    { name: 'a Spot instance of a persistent request', i: instance({ lifecycle: 'spot', spotInstanceRequestId: 'sir-1' }), types: { 'sir-1': 'persistent' as const }, expected: { ok: true } },
    {
      name: 'a Spot instance of a one-time request',
      i: instance({ lifecycle: 'spot', spotInstanceRequestId: 'sir-1' }),
      types: { 'sir-1': 'one-time' as const },
      expected: { ok: false, fallback: 'reboot', why: 'it is a Spot instance of one-time request sir-1: only Spot instances of persistent requests can be stopped' },
    },
    {
      name: 'a Spot instance whose request type is not known yet (asks for it)',
      i: instance({ lifecycle: 'spot', spotInstanceRequestId: 'sir-1' }),
      expected: { ok: false, fallback: 'reboot', why: 'it is a Spot instance whose request type is not known (sir-1): only Spot instances of persistent requests can be stopped', spotRequestToCheck: 'sir-1' },
    },
    {
      name: 'a Spot instance without a request ID',
      i: instance({ lifecycle: 'spot' }),
      expected: { ok: false, fallback: 'reboot', why: 'it is a Spot instance whose request type is not known: only Spot instances of persistent requests can be stopped' },
    },
    {
      name: 'an instance-store root',
      i: instance({ rootDeviceType: 'instance-store' }),
      expected: { ok: false, fallback: 'reboot', why: 'its root device is instance store: EC2 cannot stop it, and stopping would lose its instance-store data' },
    },
    {
      name: 'an instance-store root of a persistent Spot request (the root decides)',
      i: instance({ rootDeviceType: 'instance-store', lifecycle: 'spot', spotInstanceRequestId: 'sir-1' }),
      types: { 'sir-1': 'persistent' as const },
      expected: { ok: false, fallback: 'reboot', why: 'its root device is instance store: EC2 cannot stop it, and stopping would lose its instance-store data' },
    },
    {
      name: 'an Auto Scaling member',
      i: instance({}, { 'aws:autoscaling:groupName': 'web-asg' }),
      expected: { ok: false, fallback: 'reboot', why: "it is in Auto Scaling group web-asg: a stopped member fails the group's health check, and the group terminates and replaces it" },
    },
    {
      name: 'a purchase option not known to be stoppable',
      i: instance({ lifecycle: 'other' }),
      expected: { ok: false, fallback: 'reboot', why: 'its purchase option (InstanceLifecycle) is not one known to be stoppable' },
    },
  ])('$name', ({ i, types, expected }) => {
    expect(stopStartAllowed(i, types)).toEqual(expected);
  });
});

describe('startFailureOf', () => {
  it.each([
    { code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch', short: "likely missing kms:CreateGrant", names: 'kms:CreateGrant' },
    { code: 'Server.InsufficientInstanceCapacity', message: 'Insufficient capacity.', short: 'no capacity for its type in its AZ', names: 'no capacity' },
    { code: 'Client.VolumeLimitExceeded', message: 'Volume limit exceeded', short: 'EBS volume limit reached', names: 'EBS volume or storage limit' },
    { code: 'Client.Unheard.Of', message: 'Something new', short: 'Client.Unheard.Of', names: 'EC2 says Client.Unheard.Of (Something new)' },
  ])('reads $code as the likely cause', ({ code, message, short, names }) => {
    const failure = startFailureOf({ code, message });

    expect(failure.short).toBe(short);
    expect(failure.detail).toContain(names);
    expect(failure.detail).toContain(code);
  });

  it('says so when EC2 gave no state reason', () => {
    expect(startFailureOf(undefined)).toEqual({ short: 'no state reason given', detail: 'EC2 gave no state reason' });
  });

  it.each([
    { code: 'Client.UserInitiatedShutdown', expected: true },
    { code: 'Client.InstanceInitiatedShutdown', expected: true },
    { code: 'Client.InternalError', expected: false },
  ])('tells a stop someone made ($code: $expected) from a start that fell back', ({ code, expected }) => {
    expect(stoppedOnPurpose({ code, message: code })).toBe(expected);
  });
});
