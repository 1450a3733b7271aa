/** EventBridge fixtures from test/events, re-addressed to a test's instance, time and lifecycle action. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../events/', import.meta.url));

export interface FixtureOverrides {
  readonly instanceId?: string;
  /** Epoch ms for the envelope's `time`. */
  readonly time?: number;
  /** A new EventBridge event ID (a duplicate delivery keeps the old one). */
  readonly id?: string;
  readonly token?: string;
  readonly asg?: string;
  readonly hook?: string;
}

type Json = Record<string, unknown>;

/** Reads `test/events/<path>.json` and applies the overrides. */
export function fixture(path: string, overrides: FixtureOverrides = {}): Json {
  const event = JSON.parse(readFileSync(`${ROOT}${path}.json`, 'utf8')) as Json;
  const detail = (event['detail'] ?? {}) as Json;
  if (overrides.instanceId !== undefined) {
    if ('instance-id' in detail) detail['instance-id'] = overrides.instanceId;
    if ('EC2InstanceId' in detail) detail['EC2InstanceId'] = overrides.instanceId;
    if (event['source'] === 'aws.ec2') event['resources'] = [`arn:aws:ec2:us-east-1:123456789012:instance/${overrides.instanceId}`];
  }
  if (overrides.time !== undefined) event['time'] = new Date(overrides.time).toISOString();
  if (overrides.id !== undefined) event['id'] = overrides.id;
  if (overrides.token !== undefined) detail['LifecycleActionToken'] = overrides.token;
  if (overrides.asg !== undefined) detail['AutoScalingGroupName'] = overrides.asg;
  if (overrides.hook !== undefined) detail['LifecycleHookName'] = overrides.hook;
  return event;
}
