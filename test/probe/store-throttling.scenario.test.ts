/**
 * DynamoDB throttling the probe's writes, on the in-memory VPC: the lease release that carries a
 * move's time, and the journal entry a stop-start is carried on from. Throttling reaches the core
 * as the adapter translates it: a retriable AwsCallError.
 */
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../shared/errors.js';
import type { NatPair, VipPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

const throttled = (operation: string) => new AwsCallError(operation, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput', { retriable: true });

/** NAT A hangs (the tables move to B under a release that fails `failures` times), then comes back. */
async function moveUnderFailingRelease(failures: number) {
  const h = probeHarness({ kind: 'nat', cooldownMs: 60_000 });
  const { a } = h.pairs[0] as NatPair;
  await h.run(10_000);
  const release = h.store.release.bind(h.store);
  let failed = 0;
  h.store.release = async (grant, now, update, options) => {
    if (update?.movedAt !== undefined && failed < failures) {
      failed += 1;
      throw throttled('UpdateItem');
    }
    return release(grant, now, update, options);
  };
  h.world.hang(a.instanceId);
  await h.run(20_000);
  const movedAt = h.world.calls.find((c) => c.operation === 'ReplaceRoute')?.at ?? Number.NaN;

  h.world.unhang(a.instanceId);
  await h.run(20_000);
  await h.run(20_000);

  const back = h.world.calls.filter((c) => c.operation === 'ReplaceRoute' && c.input['NetworkInterfaceId'] === a.networkInterfaceId);
  return { failed, movedAt, gaps: back.map((c) => c.at - movedAt) };
}

/** VIP holder A hangs and is stop-started while the journal write of its stop fails `failures` times. */
async function stopStartUnderFailingJournal(failures: number) {
  const h = probeHarness({ tags: { 'failover:remediate': 'stop-start' }, cooldownMs: 0 });
  const { a } = h.pairs[0] as VipPair;
  const record = h.store.record.bind(h.store);
  let failed = 0;
  h.store.record = async (entry, options) => {
    if (entry.kind === 'remediation' && entry.step === 'stop' && entry.outcome === 'applied' && failed < failures) {
      failed += 1;
      throw throttled('PutItem');
    }
    return record(entry, options);
  };
  await h.run(10_000);
  h.world.hang(a.instanceId);

  await h.run(57_000);
  for (let run = 0; run < 10 && h.world.instances.get(a.instanceId)?.state !== 'running'; run++) {
    await h.clock.drive(h.clock.sleep(3_000));
    await h.run(57_000);
  }
  return { h, a, failed };
}

describe('the probe under DynamoDB throttling', () => {
  // The journal write of a remediation stop was throttled and not retried; a stop-start is
  // carried on from the journal alone, so no later run started the node: it stayed stopped.
  it('nothing-lost: a remediation stop whose journal write is throttled is still started again', async () => {
    const { h, a, failed } = await stopStartUnderFailingJournal(1);

    expect(failed).toBe(1);
    expect(h.world.count('StopInstances')).toBeGreaterThan(0);
    expect(h.world.instances.get(a.instanceId)?.state).toBe('running');
  });

  it('nothing-lost: a node is never stopped when the journal cannot record the stop', async () => {
    const { h, a, failed } = await stopStartUnderFailingJournal(Number.POSITIVE_INFINITY);

    expect(failed).toBeGreaterThan(1);
    expect(h.world.count('StopInstances')).toBe(0);
    expect(h.world.instances.get(a.instanceId)?.state).toBe('running');
    expect(h.store.entries).toContainEqual(expect.objectContaining({ kind: 'remediation', step: 'stop', outcome: 'failed', error: expect.stringContaining('not stopped') }));
  });

  // A throttled release lost the move's time; a new invocation knows the cooldown from the lease
  // item alone, and failed back 41 s after the move.
  it('no-ping-pong: a move whose lease release is throttled still starts the cooldown for the next run', async () => {
    const { failed, movedAt, gaps } = await moveUnderFailingRelease(1);

    expect(failed).toBe(1);
    expect(movedAt).not.toBeNaN();
    expect(gaps.filter((gap) => gap < 60_000)).toEqual([]);
  });

  it("no-ping-pong: a move whose lease release never goes through starts the cooldown from the journal's move entry", async () => {
    const { failed, gaps } = await moveUnderFailingRelease(Number.POSITIVE_INFINITY);

    expect(failed).toBeGreaterThan(1);
    expect(gaps.filter((gap) => gap < 60_000)).toEqual([]);
  });
});
