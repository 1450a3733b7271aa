/**
 * The engine's own rules, on an in-memory VPC and the in-memory store: no-op rounds cost no
 * lease, a stale snapshot is looked at again before acting, journal and lease failures never
 * hide the result, and a bug is never swallowed.
 */
import { describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { type EngineDeps, FailoverEngine } from '../../shared/core/engine.js';
import { RefusedError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';
import { memoryStore } from '../support/memory-store.js';
import { type VipPair, buildVipPair } from '../../sim/world.js';
import { memoryLog } from '../failover/support/harness.js';

function setup(overrides: Partial<EngineDeps> = {}, pairOptions: Parameters<typeof buildVipPair>[0] = {}) {
  const clock = manualClock();
  const pair: VipPair = buildVipPair({ worldOptions: { clock, assignDelayMs: 0 }, ...pairOptions });
  const clients = pair.world.clients();
  const store = memoryStore();
  const log = memoryLog();
  const deps: EngineDeps = {
    ec2: createEc2Port(clients.ec2, { clock }),
    host: createSsmHostPort(clients.ssm, { clock, comment: 'engine-test' }),
    lease: store,
    journal: store,
    clock,
    log,
    settings: {
      owner: 'engine-test',
      cooldownMs: 60_000,
      failback: { vip: 'manual', eip: 'manual', nat: 'auto', overlay: 'manual' },
      leaseTtlMs: 30_000,
      applyConcurrency: 4,
      verifyIntervalMs: 500,
      verifyTimeoutMs: 5_000,
      journalLimit: 10,
    },
    ...overrides,
  };
  const engine = new FailoverEngine(deps);
  const deadline = () => clock.now() + 30_000;
  pair.world.clearCalls();
  return { ...pair, clock, store, log, deps, engine, deadline };
}

describe('FailoverEngine.run', () => {
  it('takes no lease and writes no journal when there is nothing to do', async () => {
    const { engine, store, world, deadline } = setup();

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('unchanged');
    expect(store.calls).toMatchObject({ tryAcquire: 0, release: 0, record: 0 });
    expect(world.mutations()).toEqual([]);
  });

  it('takes the lease, moves, records the move time and releases', async () => {
    const { engine, store, world, a, b, vip, group, clock, deadline } = setup();
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(result).toMatchObject({ group, kind: 'vip', outcome: 'changed', trigger: 'probe', dryRun: false });
    expect(result?.before).toEqual([expect.objectContaining({ holder: a.instanceId })]);
    expect(result?.after).toEqual([expect.objectContaining({ holder: b.instanceId })]);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(store.leases.get(group)).toMatchObject({ lastMoveAt: expect.any(Number), releasedAt: clock.now() });
    expect(store.leases.get(group)).not.toHaveProperty('owner');
    expect(store.entries).toEqual([expect.objectContaining({ group, trigger: 'probe', outcome: 'applied', from: a.instanceId, to: b.instanceId })]);
  });

  it('looks again when the lease was released after its snapshot, and does not redo a move someone made meanwhile', async () => {
    const { engine, deps, store, world, a, b, vip, clock, deadline } = setup();
    world.stop(a.instanceId);
    const stale = await engine.observe(deadline());
    // Another decider moves the VIP and releases the lease after our snapshot.
    clock.advance(1_000);
    const other = new FailoverEngine({ ...deps, settings: { ...deps.settings, owner: 'other' } });
    await other.run({ intent: { type: 'reconcile' }, trigger: 'event', deadline: deadline() });
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    world.clearCalls();

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', snapshot: stale, deadline: deadline() });

    expect(result?.outcome).toBe('unchanged');
    expect(world.count('DescribeInstances')).toBe(1);
    expect(world.mutations()).toEqual([]);
    expect(store.entries).toHaveLength(1);
  });

  it('refuses when the group became misconfigured while it waited for the lease', async () => {
    const { engine, store, world, a, b, group, clock, deadline } = setup();
    world.stop(a.instanceId);
    await store.tryAcquire(group, 'someone', 1_000, clock.now());
    // While we wait, someone retags the standby into disagreement.
    const originalSleep = clock.sleep;
    clock.sleep = async (ms) => {
      world.instances.get(b.instanceId)!.tags['failover:vip'] = '10.0.1.200';
      return originalSleep(ms);
    };

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('refused');
    expect(result?.reason).toContain('misconfigured while waiting');
    expect(world.mutations()).toEqual([]);
  });

  it('still returns the result when the journal cannot be written, and logs it', async () => {
    const { engine, store, world, a, log, deadline } = setup();
    store.record = async () => {
      throw new Error('journal down');
    };
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'journal write failed' }));
  });

  it('still returns the result when the lease cannot be released, and logs it', async () => {
    const { engine, store, world, a, log, deadline } = setup();
    store.release = async () => {
      throw new Error('dynamodb down');
    };
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'lease release failed; it expires on its own' }));
  });

  it('reports the holders from before the move when the world cannot be read afterwards', async () => {
    const { engine, world, a, vip, b, deadline } = setup();
    world.stop(a.instanceId);
    world.faults.inject({ operation: 'DescribeInstances', error: 'UnauthorizedOperation', after: 1 });

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(result?.after).toEqual(result?.before);
  });

  it('releases the lease and lets a programming error through', async () => {
    const { engine, deps, store, world, a, group, deadline } = setup();
    deps.ec2.apply = async () => {
      throw new TypeError('bug in an adapter');
    };
    world.stop(a.instanceId);

    await expect(engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() })).rejects.toThrow(TypeError);
    expect(store.leases.get(group)?.owner).toBeUndefined();
    expect(store.calls.release).toBe(1);
  });

  it('takes the lease once, not on every call, while a cooldown holds an unhealthy holder', async () => {
    const { engine, store, world, a, b, vip, clock, deadline } = setup();
    world.impair(a.instanceId);
    await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    world.setStatus(a.instanceId, { instance: 'ok', system: 'ok' });
    world.impair(b.instanceId);
    const leasesAfterMove = store.calls.tryAcquire;

    clock.advance(10_000);
    const [first] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    clock.advance(10_000);
    const [second] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect([first?.outcome, second?.outcome]).toEqual(['unchanged', 'unchanged']);
    expect(second?.reason).toContain('cooldown');
    expect(store.calls.tryAcquire).toBe(leasesAfterMove);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });

  it('shows the cooldown in a dry run', async () => {
    const { engine, store, world, a, group, clock, deadline } = setup();
    const grant = await store.tryAcquire(group, 'earlier', 30_000, clock.now());
    await store.release(grant!, clock.now(), clock.now());
    world.impair(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'manual', dryRun: true, deadline: deadline() });

    expect(result).toMatchObject({ outcome: 'unchanged', dryRun: true });
    expect(result?.reason).toContain('cooldown');
    expect(world.mutations()).toEqual([]);
  });

  it('refuses a group no instance carries', async () => {
    const { engine, deadline } = setup();

    await expect(engine.run({ intent: { type: 'failback' }, trigger: 'manual', group: 'nope', deadline: deadline() })).rejects.toBeInstanceOf(RefusedError);
  });

  it('judges by probe verdicts when the caller has them', async () => {
    const { engine, world, a, b, vip, deadline } = setup();

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', probes: { [a.instanceId]: 'unhealthy' }, deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });
});

describe('FailoverEngine.status', () => {
  it('shows probe verdicts and the members of a misconfigured group, without priorities it could not read', async () => {
    const { engine, a, b, group, deadline } = setup({}, { tagsB: { 'failover:priority': 'high' } });

    const report = await engine.status(undefined, deadline(), { [a.instanceId]: 'healthy' });

    expect(report.groups).toEqual([
      expect.objectContaining({
        group,
        kind: 'vip',
        holders: [],
        problems: [expect.stringContaining("must be a non-negative integer, got 'high'")],
        members: expect.arrayContaining([
          { instanceId: a.instanceId, state: 'running', availabilityZone: expect.any(String), health: 'healthy', why: 'running, status ok, probes ok' },
          expect.objectContaining({ instanceId: b.instanceId }),
        ]),
      }),
    ]);
    expect(report.groups[0]).not.toHaveProperty('policy');
  });
});

