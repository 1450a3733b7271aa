/**
 * How the engine keeps a group's roster: recorded at its first look at the group, read once per
 * engine, confirmed only by a person's request under the lease, never written by a dry run, and
 * remediation confined to it. A failed read never lets a newcomer through: the lease's copy decides.
 */
import { describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { type EngineDeps, FailoverEngine } from '../../shared/core/engine.js';
import type { LeasePort } from '../../shared/core/ports.js';
import { AwsCallError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';
import { type VipPair, buildVipPair } from '../../sim/world.js';
import { memoryLog } from '../failover/support/harness.js';
import { memoryStore } from '../support/memory-store.js';

function setup(options: { tags?: Record<string, string>; lease?: (store: ReturnType<typeof memoryStore>) => LeasePort } = {}) {
  const clock = manualClock();
  const tags = { 'failover:failback': 'auto', ...options.tags };
  const pair: VipPair = buildVipPair({ worldOptions: { clock, assignDelayMs: 0 }, tagsA: tags, tagsB: tags });
  const clients = pair.world.clients();
  const store = memoryStore();
  const deps: EngineDeps = {
    ec2: createEc2Port(clients.ec2, { clock }),
    host: createSsmHostPort(clients.ssm, { clock, comment: 'engine-test' }),
    lease: options.lease ? options.lease(store) : store,
    journal: store,
    clock,
    log: memoryLog(),
    settings: {
      owner: 'engine-test',
      cooldownMs: 0,
      failback: { vip: 'manual', eip: 'manual', nat: 'auto', overlay: 'manual' },
      leaseTtlMs: 30_000,
      applyConcurrency: 4,
      verifyIntervalMs: 500,
      verifyTimeoutMs: 5_000,
      journalLimit: 10,
    },
  };
  const engine = () => new FailoverEngine(deps);
  const deadline = () => clock.now() + 30_000;
  const join = (priority: string) =>
    pair.world.addInstance({ subnet: pair.subnetId, tags: { 'failover:group': pair.group, 'failover:kind': 'vip', 'failover:vip': pair.vip, 'failover:priority': priority, ...tags } }).instanceId;
  return { ...pair, clock, store, deps, engine, deadline, join };
}

const ids = (...list: string[]) => [...list].sort();
const throttled: LeasePort['lastMoves'] = async () => Promise.reject(new AwsCallError('BatchGetItem', 'ThrottlingException', 'slow down', { retriable: true }));

describe('the engine and the roster', () => {
  it('records the members it sees at its first look, once, and reads it once per engine', async () => {
    const { engine, store, group, a, b, deadline, join } = setup();
    const first = engine();

    await first.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    join('0');
    await first.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    await engine().run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(store.leases.get(group)?.roster).toEqual(ids(a.instanceId, b.instanceId));
    expect(store.calls).toMatchObject({ lastMoves: 2, adoptRoster: 1, tryAcquire: 0 });
  });

  it('never records a roster in a dry run, and plans it as if every member were confirmed', async () => {
    const { engine, store, group, deadline } = setup();

    const [result] = await engine().run({ intent: { type: 'reconcile' }, trigger: 'manual', dryRun: true, deadline: deadline() });

    expect(result?.dryRun).toBe(true);
    expect(store.calls.adoptRoster).toBe(0);
    expect(store.leases.get(group)).toBeUndefined();
  });

  it("confirms every member on a person's failback, under the lease, even when nothing moves", async () => {
    const { engine, store, group, a, b, world, vip, deadline, join } = setup();
    await engine().run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    const n = join('9');

    const [result] = await engine().run({ intent: { type: 'failback' }, trigger: 'manual', group, deadline: deadline() });

    expect(result).toMatchObject({ outcome: 'unchanged' });
    expect(result?.reason).toContain(`confirmed members: ${ids(a.instanceId, b.instanceId, n).join(', ')}`);
    expect(store.leases.get(group)?.roster).toEqual(ids(a.instanceId, b.instanceId, n));
    expect(store.calls.release).toBe(1);
    expect(world.vipHolder(vip)).toBe(a.instanceId);
  });

  it('confirms nothing on a failback the probe asks for, nor on a failover without --to', async () => {
    const { engine, store, group, a, b, deadline, join } = setup();
    await engine().run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    join('9');

    await engine().run({ intent: { type: 'failback' }, trigger: 'probe', group, deadline: deadline() });
    await engine().run({ intent: { type: 'failover' }, trigger: 'manual', group, deadline: deadline() });

    expect(store.leases.get(group)?.roster).toEqual(ids(a.instanceId, b.instanceId));
  });

  it('keeps a newcomer out when the roster could not be read in planning: the lease holds the truth', async () => {
    const { engine, deps, store, group, a, b, world, vip, deadline, join } = setup();
    await engine().run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    const n = join('0');
    const blind = new FailoverEngine({ ...deps, lease: { ...store, lastMoves: throttled } });

    const [result] = await blind.run({ intent: { type: 'reconcile' }, trigger: 'probe', group, deadline: deadline() });

    expect(result?.outcome).toBe('unchanged');
    expect(result?.reason).toContain(`${n} joined after the group's members were confirmed`);
    expect(world.vipHolder(vip)).toBe(a.instanceId);
    expect(store.leases.get(group)?.roster).toEqual(ids(a.instanceId, b.instanceId));
  });

  it('journals the members and newcomers of every move', async () => {
    const { engine, store, group, a, b, world, deadline, join } = setup();
    await engine().run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    const n = join('0');
    world.stop(a.instanceId);

    await engine().run({ intent: { type: 'reconcile' }, trigger: 'event', group, deadline: deadline() });

    expect(store.entries.filter((e) => e.kind === 'move')).toEqual([
      expect.objectContaining({ from: a.instanceId, to: b.instanceId, members: ids(a.instanceId, b.instanceId, n), newcomers: [n] }),
    ]);
  });

  it.each([
    ['remediates a confirmed member', true, 1],
    ['remediates nobody in a group whose roster it cannot read', false, 0],
  ])('%s', async (_name, readable, reboots) => {
    const { deps, store, b, world, deadline, engine } = setup({ tags: { 'failover:remediate': 'reboot' } });
    await engine().run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    world.hang(b.instanceId);
    const fencer = new FailoverEngine({ ...deps, lease: readable ? store : { ...store, lastMoves: throttled } });
    const snapshot = await fencer.observe(deadline());

    await fencer.remediate({ snapshot, probes: { [b.instanceId]: 'unhealthy' }, deadline: deadline() });

    expect(world.count('RebootInstances')).toBe(reboots);
  });
});
