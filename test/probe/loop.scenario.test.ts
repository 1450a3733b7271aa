/**
 * The probe loop on the in-memory VPC: the real core, EC2 and SSM adapters, the world-backed
 * sensor and peers, simulated time. Assertions are on the world (who holds the VIP, which
 * mutations were sent) and on rounds, never on wall time.
 */
import { describe, expect, it } from 'vitest';
import { STATE_MAX_AGE_MS } from '../../shared/probe/loop.js';
import { probeView } from '../../shared/probe/memory.js';
import type { VipPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

const MINUTE = 57_000;
const ec2Mutations = (h: ReturnType<typeof probeHarness>) => h.world.mutations().filter((c) => c.service === 'ec2');
const vipOf = (h: ReturnType<typeof probeHarness>) => h.pairs[0] as VipPair;

describe('probe loop', () => {
  it('detects a silent death within fall rounds and moves the VIP to the standby', async () => {
    const h = probeHarness();
    const { a, b, vip } = vipOf(h);
    const hungRound = 4;
    await h.run(MINUTE, (round) => {
      if (round.index === hungRound) h.world.hang(a.instanceId);
    });

    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    const [switchCall] = h.world.calls.filter((c) => c.operation === 'AssignPrivateIpAddresses');
    expect(switchCall).toBeDefined();
    const moveRound = h.rounds.find((r) => r.moves.length > 0);
    expect(moveRound?.index).toBe(hungRound + h.settings.fall);
    const firstFailed = h.rounds[hungRound + 1];
    expect((switchCall?.at ?? Infinity) - (firstFailed?.startedAt ?? 0)).toBeLessThanOrEqual(h.settings.fall * h.settings.intervalMs);
    expect(moveRound?.moves[0]).toMatchObject({ group: 'vip-0', from: a.instanceId, to: b.instanceId });
  });

  it('never fails over on 1 % probe loss over ten minutes', async () => {
    const h = probeHarness({ lossRate: 0.01, seed: 7 });
    for (let minute = 0; minute < 10; minute += 1) await h.run(MINUTE);

    expect(h.rounds.length).toBeGreaterThan(250);
    expect(ec2Mutations(h)).toEqual([]);
  });

  it('never fails over when the sensor is blind for one round', async () => {
    const h = probeHarness();
    await h.run(MINUTE, (round) => {
      h.sensor.blind = round.index === 5 || round.index === 6;
    });

    expect(h.rounds.some((r) => Object.values(r.verdicts).includes('unknown'))).toBe(true);
    expect(ec2Mutations(h)).toEqual([]);
  });

  it('waits, and never moves on the sensor alone, while the only peer cannot find its own block', async () => {
    const h = probeHarness({ settings: { sweepMs: 4_000 } });
    const { a, b, vip } = vipOf(h);
    h.probes.addressless.add(b.instanceId);
    await h.run(MINUTE, (round) => {
      if (round.index === 4) h.world.hang(a.instanceId);
    });

    expect(h.probes.unidentified.filter((id) => id === b.instanceId).length).toBeGreaterThan(3);
    expect(h.rounds.at(-1)?.verdicts[a.instanceId]).toBe('unknown');
    expect(h.world.vipHolder(vip)).toBe(a.instanceId);
  });

  it('moves once the peer finds its own block again', async () => {
    const h = probeHarness();
    const { a, b, vip } = vipOf(h);
    h.probes.addressless.add(b.instanceId);
    await h.run(MINUTE, (round) => {
      if (round.index === 4) h.world.hang(a.instanceId);
      if (round.index === 12) h.probes.addressless.delete(b.instanceId);
    });

    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    expect(h.rounds.find((r) => r.moves.length > 0)?.index).toBeGreaterThan(12);
  });

  it('never fails over when one peer is blind for good', async () => {
    const h = probeHarness({ settings: { sweepMs: 4_000 } });
    const { b } = vipOf(h);
    h.probes.blindProbers.add(b.instanceId);
    await h.run(MINUTE);

    expect(h.probes.runs.filter((id) => id === b.instanceId).length).toBeGreaterThan(5);
    expect(ec2Mutations(h)).toEqual([]);
  });

  // The cooldown holds back failback, never a move away from a holder judged unhealthy: a flapping
  // holder is left at once, and failed back to at most once per cooldown.
  it('fails a flapping group back at most once per cooldown, and leaves the flapping holder whenever it fails', async () => {
    const h = probeHarness({ tags: { 'failover:failback': 'auto' }, cooldownMs: 60_000 });
    const { a } = vipOf(h);
    for (let minute = 0; minute < 5; minute += 1) {
      await h.run(MINUTE, (round) => {
        // Down for three rounds, up for four: long enough to be judged both ways.
        if (round.index % 7 === 0) h.world.hang(a.instanceId);
        if (round.index % 7 === 3) h.world.unhang(a.instanceId);
      });
    }

    // OS-side repairs (the VIP taken down on a node that comes back with it) are not moves.
    const moves = h.store.entries.filter((e) => e.outcome === 'applied' && e.kind !== 'repair').sort((x, y) => x.at - y.at);
    expect(moves.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < moves.length; i += 1) {
      const move = moves[i]!;
      if (move.to === a.instanceId) expect(move.at - moves[i - 1]!.at).toBeGreaterThanOrEqual(60_000);
      else expect(move.reason).toContain('unhealthy');
    }
    // Bounded: one failback per cooldown, and one move away after each.
    expect(moves.length).toBeLessThanOrEqual(2 * 5 + 1);
  });

  it('does not move when SSM is out, even if the holder stops answering the sensor', async () => {
    const h = probeHarness();
    const { a, vip } = vipOf(h);
    h.world.faults.inject({ operation: 'SendCommand', error: 'InternalError' });
    h.world.faults.inject({ operation: 'GetCommandInvocation', error: 'ThrottlingException' });
    await h.run(MINUTE, (round) => {
      if (round.index === 3) h.world.hang(a.instanceId);
    });

    expect(h.world.count('SendCommand')).toBeGreaterThan(0);
    expect(h.world.vipHolder(vip)).toBe(a.instanceId);
    expect(ec2Mutations(h)).toEqual([]);
  });

  it('does not move when both nodes are down, and says so in the alarm metric and the run summary', async () => {
    const h = probeHarness();
    const { a, b, vip } = vipOf(h);
    const summary = await h.run(MINUTE, (round) => {
      if (round.index === 3) {
        h.world.hang(a.instanceId);
        h.world.hang(b.instanceId);
      }
    });

    expect(h.world.vipHolder(vip)).toBe(a.instanceId);
    expect(ec2Mutations(h)).toEqual([]);
    expect(h.metrics.datums('GroupsWithoutHealthyMember').at(-1)).toMatchObject({ value: 1, unit: 'Count', dimensions: {} });
    expect(summary.groups).toEqual({ 'vip-0': { members: 2, healthy: 0 } });
  });

  it('writes one undimensioned datum a round, whatever the number of groups and nodes, flushed every metricsFlushRounds', async () => {
    const h = probeHarness({ groups: 3, settings: { metricsFlushRounds: 5 } });
    const summary = await h.run(20_000);

    expect(h.metrics.batches).toHaveLength(Math.ceil(summary.rounds / 5));
    const alarm = h.metrics.datums('GroupsWithoutHealthyMember');
    expect(alarm).toHaveLength(summary.rounds);
    expect(new Set(alarm.map((d) => d.timestamp)).size).toBe(summary.rounds);
    expect(alarm.every((d) => d.value === 0 && Object.keys(d.dimensions).length === 0)).toBe(true);
    expect(new Set(h.metrics.batches.flat().map((d) => d.name))).toEqual(new Set(['GroupsWithoutHealthyMember']));
  });

  it('fails over a NAT that answers but no longer forwards', async () => {
    const h = probeHarness({ kind: 'nat', settings: { egress: [{ kind: 'egress', host: '192.0.2.10', port: 443 }], sweepMs: 10_000 } });
    const pair = h.pairs[0];
    if (pair?.kind !== 'nat') throw new Error('fixture');
    const { a, b, routeTables } = pair as unknown as { a: { instanceId: string }; b: { instanceId: string }; routeTables: { any: string } };
    await h.run(MINUTE, (round) => {
      if (round.index === 2) h.probes.notForwarding.add(a.instanceId);
    });

    expect(h.world.routeTarget(routeTables.any, '0.0.0.0/0')?.instanceId).toBe(b.instanceId);
  });
});

describe('the saved verdicts (what failover and on-event read)', () => {
  const storedVerdicts = (h: ReturnType<typeof probeHarness>) => probeView(h.state?.item === undefined ? undefined : JSON.parse(h.state.item), h.clock.now(), STATE_MAX_AGE_MS)?.verdicts;

  it('saves a standby judged down within the round, not at the end of the run', async () => {
    const h = probeHarness({ persist: true });
    const { b } = vipOf(h);
    const judged: { index: number; saved: string | undefined }[] = [];
    await h.run(MINUTE, (round) => {
      if (round.index === 4) h.world.hang(b.instanceId);
      if (round.verdicts[b.instanceId] === 'unhealthy') judged.push({ index: round.index, saved: storedVerdicts(h)?.[b.instanceId] });
    });

    // The save runs beside the round: by the next round the table has it.
    expect(judged.length).toBeGreaterThan(5);
    expect(judged.slice(1).map((j) => j.saved)).toEqual(judged.slice(1).map(() => 'unhealthy'));
  });

  it('writes no more than once a run while nothing changes', async () => {
    const h = probeHarness({ persist: true });
    await h.run(MINUTE);
    const afterFirst = h.state?.saved ?? 0;

    await h.run(MINUTE);
    await h.run(MINUTE);

    // The first run of an environment saves when it first judges, then at its end; a warm run with
    // the same verdicts only at its end.
    expect(afterFirst).toBe(2);
    expect((h.state?.saved ?? 0) - afterFirst).toBe(2);
  });
});
