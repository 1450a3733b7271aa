/**
 * A probe run as Lambda really runs it: the OS side of a VIP is seen by the sweep and put right,
 * the rise/fall state survives a cold start, a run stops at its deadline, and economy mode does
 * one round per run without waiting for its sweep.
 */
import { describe, expect, it } from 'vitest';
import type { VipPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

const vipOf = (h: ReturnType<typeof probeHarness>) => h.pairs[0] as VipPair;

describe('the OS side of a VIP, seen by the sweep', () => {
  it('puts the VIP back in the holder’s OS within one sweep, without moving it', async () => {
    const h = probeHarness();
    const { a, vip } = vipOf(h);
    await h.run(10_000);
    h.world.instances.get(a.instanceId)!.os.forEach((addresses) => addresses.delete(vip));
    const lostAt = h.clock.now();

    await h.run(30_000);

    expect(h.world.osIps(a.instanceId)).toContain(vip);
    expect(h.world.vipHolder(vip)).toBe(a.instanceId);
    const repaired = h.world.calls.filter((c) => c.operation === 'SendCommand' && String((c.input['Parameters'] as { commands: string[] }).commands).includes('ip addr add'));
    expect(repaired).toHaveLength(1);
    expect((repaired[0]?.at ?? Infinity) - lostAt).toBeLessThanOrEqual(h.settings.sweepMs + h.settings.intervalMs * 2);
    expect(h.store.entries).toEqual([expect.objectContaining({ kind: 'repair', to: a.instanceId, trigger: 'probe' })]);
  });

  it('takes the VIP down on a member that still has it up, a split brain in the OS', async () => {
    const h = probeHarness();
    const { a, b, vip } = vipOf(h);
    h.world.instances.get(b.instanceId)!.os.forEach((addresses) => addresses.set(vip, 32));

    await h.run(30_000);

    expect(h.world.osIps(b.instanceId)).not.toContain(vip);
    expect(h.world.osIps(a.instanceId)).toContain(vip);
  });
});

describe('the OS side of an old holder that was judged down', () => {
  it('sends it no command while it hangs, and takes the VIP down there once a sweep sees it again', async () => {
    const h = probeHarness();
    const { a, b, vip } = vipOf(h);
    const takeDowns = () => h.world.calls.filter((c) => c.operation === 'SendCommand' && (c.input['InstanceIds'] as string[]).includes(a.instanceId) && String((c.input['Parameters'] as { commands: string[] }).commands).includes('ip addr del'));
    await h.run(6_000);
    h.world.hang(a.instanceId);

    await h.run(20_000);
    const whileHung = takeDowns().length;
    h.world.unhang(a.instanceId);
    await h.run(30_000);

    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    expect(whileHung).toBe(0);
    expect(takeDowns()).toHaveLength(1);
    expect(h.world.osIps(a.instanceId)).not.toContain(vip);
    expect(h.store.entries.map((e) => [e.kind, e.outcome])).toEqual([['move', 'applied'], ['repair', 'applied']]);
  });
});

describe('a probe run across a cold start', () => {
  it('keeps counting failed rounds after the execution environment is replaced', async () => {
    const h = probeHarness({ persist: true });
    const { a, b, vip } = vipOf(h);
    await h.run(6_000);
    h.world.hang(a.instanceId);
    // One round in the old environment sees the first failure.
    await h.run(2_500);
    expect(h.memory.states.get(a.instanceId)?.bad).toBe(1);

    const summary = await h.run(20_000, undefined, { cold: true });

    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    // The first round of the new environment is the second failure: fall 2 is reached at once.
    expect(h.rounds.find((r) => r.moves.length > 0)?.startedAt).toBe(h.rounds.at(-summary.rounds)?.startedAt);
  });

  it('starts blank, as before, without a stored state', async () => {
    const h = probeHarness();
    const { a } = vipOf(h);
    await h.run(6_000);
    await h.run(2_500, undefined, { cold: true });

    expect(h.memory.states.get(a.instanceId)?.good).toBe(1);
  });
});

describe('a probe run at its deadline', () => {
  it('starts no round once its signal is aborted, and hands it to every AWS call it makes', async () => {
    const h = probeHarness();
    const controller = new AbortController();

    const summary = await h.run(57_000, (round) => {
      if (round.index === 2) controller.abort();
    }, { signal: controller.signal });

    expect(summary.rounds).toBe(3);
    expect(h.sensor.signals.every((signal) => signal === controller.signal)).toBe(true);
  });
});

describe('economy mode', () => {
  it('probes one round per run, and reads the sweep it sent at the start of the next run', async () => {
    const h = probeHarness({ settings: { mode: 'economy' } });
    const first = await h.run(57_000);
    const sentAt = h.world.calls.filter((c) => c.operation === 'SendCommand').map((c) => c.at);
    const listedBeforeNextRun = h.world.count('ListCommandInvocations');

    await h.clock.drive(h.clock.sleep(60_000));
    await h.run(57_000);

    expect(first.rounds).toBe(1);
    expect(sentAt).toHaveLength(1);
    expect(listedBeforeNextRun).toBe(0);
    expect(h.world.count('ListCommandInvocations')).toBeGreaterThan(0);
    expect(h.memory.os.get(vipOf(h).a.instanceId)?.at).toBe(sentAt[0]);
  });

  it('moves a silently dead holder within two runs, waiting for the peers’ confirmation in the run itself', async () => {
    const h = probeHarness({ settings: { mode: 'economy' } });
    const { a, b, vip } = vipOf(h);
    await h.run(57_000);
    h.world.hang(a.instanceId);

    await h.run(57_000);
    expect(h.world.vipHolder(vip)).toBe(a.instanceId);
    await h.run(57_000);

    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
  });
});
