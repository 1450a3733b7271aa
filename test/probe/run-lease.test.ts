/** exclusively(): a probe run probes only while it holds the run lease, and says why when it does not. */
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../shared/errors.js';
import type { ProbeRunLeasePort, RunClaim } from '../../shared/probe/ports.js';
import { exclusively } from '../../shared/probe/run-lease.js';
import { memoryLog } from '../support/harness.js';

const T0 = 1_750_000_000_000;
const run = { owner: 'probe:req-1', now: T0, expiresAt: T0 + 60_000, clock: { now: () => T0 + 57_000 } };

function lease(claim: () => Promise<RunClaim>, release: () => Promise<void> = async () => undefined) {
  const calls: string[] = [];
  const port: ProbeRunLeasePort = {
    claim: async (owner, now, expiresAt) => (calls.push(`claim ${owner} ${now} ${expiresAt}`), claim()),
    release: async (owner, now) => (calls.push(`release ${owner} ${now}`), release()),
  };
  return { port, calls };
}

describe('exclusively', () => {
  it('claims the lease until the end of the invocation, runs, then gives it up at the time the run ends', async () => {
    const { port, calls } = lease(async () => ({ granted: true }));

    const outcome = await exclusively(port, run, memoryLog(), async () => (calls.push('work'), 'done'));

    expect(outcome).toBe('done');
    expect(calls).toEqual([`claim probe:req-1 ${T0} ${T0 + 60_000}`, 'work', `release probe:req-1 ${T0 + 57_000}`]);
  });

  it('does no work while another run holds the lease, and names that run in the log', async () => {
    const { port, calls } = lease(async () => ({ granted: false, holder: 'probe:req-0', expiresAt: T0 + 30_000 }));
    const log = memoryLog();

    const outcome = await exclusively(port, run, log, async () => (calls.push('work'), 'done'));

    const reason = `another probe run holds the run lease (probe:req-0, until ${new Date(T0 + 30_000).toISOString()})`;
    expect(outcome).toEqual({ skipped: reason });
    expect(calls).toEqual([`claim probe:req-1 ${T0} ${T0 + 60_000}`]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'probe run skipped', extra: [{ reason }] }));
  });

  it('gives the lease up even when the run throws', async () => {
    const { port, calls } = lease(async () => ({ granted: true }));

    await expect(exclusively(port, run, memoryLog(), async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(calls.at(-1)).toBe(`release probe:req-1 ${T0 + 57_000}`);
  });

  it('probes without the lease, warning, when the table cannot be asked: moves still take their group lease', async () => {
    const { port, calls } = lease(async () => Promise.reject(new AwsCallError('UpdateItem', 'ServiceUnavailable', 'down', { retriable: true })));
    const log = memoryLog();

    const outcome = await exclusively(port, run, log, async () => (calls.push('work'), 'done'));

    expect(outcome).toBe('done');
    expect(calls).toEqual([`claim probe:req-1 ${T0} ${T0 + 60_000}`, 'work']);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'probe run lease unavailable: probing without it' }));
  });
});
