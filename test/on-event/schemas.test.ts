/** Validation of the EventBridge events the on-event function accepts, against AWS-shaped fixtures. */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../shared/events/schemas.js';
import { fixture } from './support/events.js';

const INSTANCE = 'i-1234567890abcdef0';
const AT = Date.parse('2026-11-23T13:00:00Z');

describe('parseEvent', () => {
  describe('EC2 state-change notifications', () => {
    it.each(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'])('reads the %s state', (state) => {
      expect(parseEvent(fixture(`aws.ec2/${state}`))).toEqual({ kind: 'state-change', id: expect.any(String), time: AT, instanceId: INSTANCE, state });
    });
  });

  it('reads a Spot interruption warning with its instance action', () => {
    expect(parseEvent(fixture('aws.ec2/spot-interruption'))).toEqual({
      kind: 'spot-interruption',
      id: '12345678-1234-1234-1234-123456789012',
      time: AT,
      instanceId: INSTANCE,
      instanceAction: 'terminate',
    });
  });

  it('reads a rebalance recommendation', () => {
    expect(parseEvent(fixture('aws.ec2/rebalance'))).toEqual({ kind: 'rebalance', id: expect.any(String), time: AT, instanceId: INSTANCE });
  });

  describe('Auto Scaling lifecycle actions', () => {
    const action = { autoScalingGroupName: 'my-asg', lifecycleHookName: 'vpc-failover-terminate', token: '87654321-4321-4321-4321-210987654321', instanceId: INSTANCE };

    it('reads a terminate action with everything CompleteLifecycleAction needs', () => {
      expect(parseEvent(fixture('aws.autoscaling/terminate-lifecycle'))).toEqual({
        kind: 'lifecycle',
        transition: 'terminate',
        id: expect.any(String),
        time: AT,
        instanceId: INSTANCE,
        action,
        origin: 'AutoScalingGroup',
        destination: 'EC2',
      });
    });

    it('reads a launch action into the warm pool', () => {
      expect(parseEvent(fixture('aws.autoscaling/launch-into-warm-pool'))).toMatchObject({
        kind: 'lifecycle',
        transition: 'launch',
        origin: 'EC2',
        destination: 'WarmPool',
        action: { ...action, lifecycleHookName: 'vpc-failover-launch' },
      });
    });

    it('accepts an event without Origin and Destination, as groups without warm pools once sent', () => {
      const parsed = parseEvent(fixture('aws.autoscaling/terminate-lifecycle-no-origin'));
      expect(parsed).toMatchObject({ kind: 'lifecycle', transition: 'terminate' });
      expect(parsed).not.toHaveProperty('origin');
    });
  });

  it('parses every fixture under aws.ec2 and aws.autoscaling', () => {
    for (const source of ['aws.ec2', 'aws.autoscaling']) {
      const dir = fileURLToPath(new URL(`../events/${source}/`, import.meta.url));
      for (const file of readdirSync(dir)) expect(parseEvent(fixture(`${source}/${file.replace(/\.json$/, '')}`)), file).not.toHaveProperty('ignored');
    }
  });

  describe('unknown and malformed events', () => {
    it.each([
      ['unknown-detail-type', /unknown event: source 'aws\.ec2', detail-type 'EBS Snapshot Notification'/],
      ['unknown-source', /unknown event: source 'aws\.health'/],
      ['not-an-event', /not an EventBridge event \(source: /],
      ['bad-instance-id', /malformed 'EC2 Instance State-change Notification' event: detail\.instance-id: must be an instance ID/],
      ['unknown-state', /malformed .*: detail\.state: /],
      ['missing-detail', /malformed .*: detail: /],
      ['lifecycle-missing-token', /malformed 'EC2 Instance-terminate Lifecycle Action' event: detail\.LifecycleActionToken: /],
      ['lifecycle-wrong-transition', /malformed .*: detail\.LifecycleTransition: /],
      ['bad-time', /malformed .*: time: must be an ISO 8601 timestamp/],
    ])('ignores %s with a reason naming the problem', (name, reason) => {
      const parsed = parseEvent(fixture(`invalid/${name}`));
      expect(parsed).toEqual({ ignored: expect.stringMatching(reason) });
    });

    it.each([null, undefined, 'stopping', 42, []])('ignores %j without throwing', (value) => {
      expect(parseEvent(value)).toEqual({ ignored: expect.stringMatching(/^not an EventBridge event/) });
    });
  });
});
