/**
 * One group's bad tags or one failing call never blind the others, and never end a run.
 *
 * The oversized groups are handed to the loop directly (discovery's answer is rewritten on its way
 * to the loop), so these tests prove the probe's own per-group degradation whatever discovery
 * accepts: discovery refuses such tags, and the probe must still hold if one ever got through.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Discovery } from '../../shared/core/groups.js';
import type { FailoverEngine } from '../../shared/core/engine.js';
import { MAX_PROBE_CHECKS } from '../../shared/probe/script.js';
import { MAX_SENSOR_PORTS } from '../../shared/probe/sensor-schema.js';
import type { ProbeEngine } from '../../shared/probe/loop.js';
import type { HaPair } from '../../sim/world.js';
import { memoryLog } from '../support/harness.js';
import { probeHarness } from './support/harness.js';

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** The engine, with `group`'s members given `ports` in what the loop discovers. */
function withPorts(group: string, ports: readonly number[]): (engine: FailoverEngine) => ProbeEngine {
  return (engine) => ({
    run: (request) => engine.run(request),
    observe: (deadline, options) => engine.observe(deadline, options),
    remediate: (request) => engine.remediate(request),
    discover: (world): Discovery => {
      const found = engine.discover(world);
      return { ...found, groups: found.groups.map((g) => (g.name === group ? { ...g, members: g.members.map((m) => ({ ...m, ports })) } : g)) } as Discovery;
    },
  });
}

/** A third member of a pair's group, in the same subnet, with the same tags. */
function addThirdMember(h: ReturnType<typeof probeHarness>, pair: HaPair): string {
  const tags = { ...h.world.instances.get(pair.a.instanceId)!.tags, 'failover:priority': '3' };
  return h.world.addInstance({ subnet: pair.b.subnetId, tags }).instanceId;
}

describe('a group whose ports are past the sensor’s schema', () => {
  it('leaves only that group out of every sensor request; every other group gets sensor results', async () => {
    const ports = range(8000, MAX_SENSOR_PORTS + 1);
    const log = memoryLog();
    const h = probeHarness({ groups: 3, log, wrap: { engine: withPorts('vip-0', ports) } });
    const [bad, ...good] = h.pairs as HaPair[];

    await h.run(10_000);

    const badIds = [bad!.a.instanceId, bad!.b.instanceId];
    const goodIds = good.flatMap((p) => [p.a.instanceId, p.b.instanceId]);
    expect(h.sensor.requests.length).toBeGreaterThan(3);
    for (const request of h.sensor.requests) {
      expect(request.targets.map((t) => t.id).sort()).toEqual([...goodIds].sort());
      expect(request.targets.every((t) => t.ports.length <= MAX_SENSOR_PORTS)).toBe(true);
    }
    for (const id of goodIds) expect(h.memory.states.get(id)?.verdict).toBe('healthy');
    for (const id of badIds) expect(h.memory.states.get(id)?.verdict).toBeUndefined();
    const told = log.lines.filter((l) => l.level === 'warn' && l.message.includes('left out of the sensor request'));
    // Said once per member and run, not every round; naming the group and the tag.
    expect(told.map((l) => l.extra[0])).toEqual(badIds.map((id) => expect.objectContaining({ group: 'vip-0', instanceId: id, tag: 'failover:ports' })));
  });

  it('counts what the sensor itself refuses against that target only', async () => {
    const log = memoryLog();
    // A sensor whose schema is narrower than the prober's (another version): it refuses vip-1's targets.
    const h = probeHarness({
      groups: 2,
      log,
      wrap: {
        sensor: (sensor) => ({
          probe: async (request, call) => {
            const answer = await sensor.probe(request, call);
            const refused = request.targets.flatMap((t, index) => (h.world.instances.get(t.id)?.tags['failover:group'] === 'vip-1' ? [{ index, id: t.id, field: `targets.${index}.ports`, reason: 'too many' }] : []));
            return { results: answer.results.filter((r) => !refused.some((x) => x.id === r.id)), refused };
          },
        }),
      },
    });

    await h.run(10_000);

    const [p0, p1] = h.pairs as HaPair[];
    expect(h.memory.states.get(p0!.a.instanceId)?.verdict).toBe('healthy');
    expect(h.memory.states.get(p1!.a.instanceId)?.verdict).toBeUndefined();
    expect(log.lines.filter((l) => l.message.includes('refused by the sensor')).map((l) => l.extra[0])).toEqual([
      expect.objectContaining({ group: 'vip-1', instanceId: p1!.a.instanceId }),
      expect.objectContaining({ group: 'vip-1', instanceId: p1!.b.instanceId }),
    ]);
  });
});

describe('a group whose peer checks are past the probe script’s budget', () => {
  // Three members with 85 ports each: every prober's block would hold 2 × (1 + 85) = 172 checks.
  const ports = range(9000, 85);

  function oversized(mode: 'fast' | 'economy') {
    const log = memoryLog();
    const h = probeHarness({ groups: 3, log, settings: { mode }, wrap: { engine: withPorts('vip-0', ports) } });
    const bad = h.pairs[0] as HaPair;
    const third = addThirdMember(h, bad);
    return { h, log, badIds: [bad.a.instanceId, bad.b.instanceId, third] };
  }

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => void process.off('unhandledRejection', onUnhandled));

  it('keeps a fast run going to its end, and the other groups’ peers still sweep', async () => {
    const { h, log, badIds } = oversized('fast');
    expect(2 * (1 + ports.length)).toBeGreaterThan(MAX_PROBE_CHECKS);

    const summary = await h.run(30_000);
    await new Promise((resolve) => setImmediate(resolve));

    expect(unhandled).toEqual([]);
    expect(summary.rounds).toBeGreaterThanOrEqual(14);
    expect(summary.sweeps).toBeGreaterThanOrEqual(2);
    const swept = new Set(h.probes.runs);
    for (const p of h.pairs.slice(1)) expect(swept).toContain(p.a.instanceId);
    for (const id of badIds) expect(swept).not.toContain(id);
    // The others' VIPs were read from their OSes by the sweep: their peers did run.
    for (const p of h.pairs.slice(1)) expect(h.memory.os.get(p.a.instanceId)).toBeDefined();
    const dropped = log.lines.filter((l) => l.message.includes('group left out'));
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped[0]?.extra[0]).toMatchObject({ group: 'vip-0', problem: expect.stringContaining(`more than ${MAX_PROBE_CHECKS}`) });
  });

  it('keeps economy runs going: the next run reads the other groups’ sweep', async () => {
    const { h, badIds } = oversized('economy');

    const first = await h.run(57_000);
    await h.clock.drive(h.clock.sleep(60_000));
    const second = await h.run(57_000);
    await new Promise((resolve) => setImmediate(resolve));

    expect(unhandled).toEqual([]);
    expect([first.rounds, second.rounds]).toEqual([1, 1]);
    expect(first.sweeps).toBe(1);
    for (const p of h.pairs.slice(1)) {
      expect(h.memory.os.get(p.a.instanceId)).toBeDefined();
      expect(h.memory.states.get(p.a.instanceId)?.verdict).toBe('healthy');
    }
    for (const id of badIds) expect(h.memory.os.get(id)).toBeUndefined();
  });
});
