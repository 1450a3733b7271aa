/** When a scheduled run probes: its window comes from its event's time, never from when it starts. */
import { describe, expect, it } from 'vitest';
import { runWindow, scheduledTimeOf } from '../../shared/probe/schedule.js';
import { InputError } from '../../shared/errors.js';

const T = Date.parse('2026-12-01T05:00:00Z');
const base = { mode: 'fast' as const, scheduledAt: T, now: T, deadline: T + 58_000, runMs: 57_000, roundMs: 3_000, everyMs: 60_000 };

describe('runWindow', () => {
  it.each([
    { name: 'a run that starts on time probes for runMs', input: {}, window: { until: T + 57_000 } },
    { name: 'a run started 20 s late by a throttled retry only probes what is left of its minute', input: { now: T + 20_000 }, window: { until: T + 57_000 } },
    { name: 'the invocation deadline wins when it comes first', input: { deadline: T + 30_000 }, window: { until: T + 30_000 } },
    { name: 'a manual run (no scheduled time) starts now', input: { scheduledAt: undefined, now: T + 5_000, deadline: T + 90_000 }, window: { until: T + 62_000 } },
    { name: 'a scheduled time in the future (clock skew) counts as now', input: { scheduledAt: T + 10_000 }, window: { until: T + 57_000 } },
  ])('$name', ({ input, window }) => {
    expect(runWindow({ ...base, ...input })).toEqual(window);
  });

  it.each([
    { name: 'a duplicate delivered after its minute', now: T + 61_000 },
    { name: 'a late run with less than a round left', now: T + 55_000 },
  ])('skips $name, probing nothing', ({ now }) => {
    expect(runWindow({ ...base, now })).toEqual({ skip: expect.stringMatching(/^late by \d+ s/) });
  });

  it.each(['fast', 'economy'] as const)('skips a second delivery of a run this environment already made (%s)', (mode) => {
    expect(runWindow({ ...base, mode, now: T + 5_000, lastScheduledAt: T })).toEqual({ skip: expect.stringMatching(/^a second delivery of the run scheduled at 2026-12-01T05:00:00.000Z/) });
    expect(runWindow({ ...base, mode, now: T + 5_000, lastScheduledAt: T - 60_000 })).not.toHaveProperty('skip');
  });

  it('runs an economy round for the rest of the invocation, unless a newer run owns the present', () => {
    expect(runWindow({ ...base, mode: 'economy', now: T + 30_000 })).toEqual({ until: T + 58_000 });
    expect(runWindow({ ...base, mode: 'economy', now: T + 60_000 })).toEqual({ skip: expect.stringContaining('covers now') });
  });
});

describe('scheduledTimeOf', () => {
  it('reads the time of an EventBridge scheduled event', () => {
    const event = { version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-12-01T05:00:00Z', region: 'eu-west-1', resources: [], detail: {} };

    expect(scheduledTimeOf(event)).toBe(T);
  });

  it('takes {} as a manual run that starts now', () => {
    expect(scheduledTimeOf({})).toBeUndefined();
  });

  it.each([
    { event: { source: 'aws.events', 'detail-type': 'Scheduled Event', time: 'yesterday' }, field: 'time' },
    { event: { source: 'aws.ec2', 'detail-type': 'Scheduled Event', time: '2026-12-01T05:00:00Z' }, field: 'source' },
    { event: [], field: 'payload' },
    { event: 'run', field: 'payload' },
  ])('refuses $event, naming $field', ({ event, field }) => {
    expect(() => scheduledTimeOf(event)).toThrow(InputError);
    expect(() => scheduledTimeOf(event)).toThrow(expect.objectContaining({ field }));
  });
});
