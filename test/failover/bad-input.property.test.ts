/**
 * Bad input never changes the VPC. Whatever JSON reaches the function, it either answers or fails
 * with an InputError naming the field, and only a valid, non-dry-run failover or failback mutates.
 * Whatever the tags on instances and route tables say, a reconcile never throws, and never touches
 * a group that discovery reports as misconfigured.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { FailoverEngine } from '../../shared/core/engine.js';
import { InputError, RefusedError } from '../../shared/errors.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { memoryStore } from '../support/memory-store.js';
import { VpcWorld, buildEipPair, buildNatPair, buildOverlayPair, buildVipPair } from '../../sim/world.js';
import { harness, memoryLog } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

// ---- payloads ----

const KEYS: Record<string, readonly string[]> = {
  status: ['action', 'group'],
  failover: ['action', 'group', 'dryRun', 'reason', 'to', 'from'],
  failback: ['action', 'group', 'dryRun', 'reason'],
};

/** An oracle written from the documented payload contract, independent of the zod schema. */
function isValid(payload: unknown): boolean {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
  const p = payload as Record<string, unknown>;
  const allowed = typeof p['action'] === 'string' ? KEYS[p['action']] : undefined;
  if (!allowed || Object.keys(p).some((k) => !allowed.includes(k))) return false;
  const isGroup = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v);
  const isId = (v: unknown) => typeof v === 'string' && /^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(v);
  if (p['action'] === 'status' ? 'group' in p && !isGroup(p['group']) : !isGroup(p['group'])) return false;
  if ('dryRun' in p && typeof p['dryRun'] !== 'boolean') return false;
  if ('reason' in p && !(typeof p['reason'] === 'string' && p['reason'].length >= 1 && p['reason'].length <= 500)) return false;
  return !['to', 'from'].some((k) => k in p && !isId(p[k]));
}

describe('failover function input', () => {
  it('answers or names the bad field, and mutates only for a valid non-dry-run failover or failback', async () => {
    const clock = manualClock();
    const pair = buildVipPair({ worldOptions: { clock } });
    const { world, a, b, group } = pair;
    const h = await harness(world, clock, db);
    const someValue = fc.jsonValue();
    const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: someValue });
    const structured = fc.record(
      {
        action: field(fc.constantFrom('status', 'failover', 'failback', 'Failover', '')),
        group: field(fc.constantFrom(group, 'other-group', 'bad group', '', 'x'.repeat(65))),
        to: field(fc.constantFrom(a.instanceId, b.instanceId, 'i-123', 'I-0123456789abcdef0', 'i-0123456789abcdef0; reboot')),
        from: field(fc.constantFrom(a.instanceId, b.instanceId, 'i-xyz')),
        dryRun: field(fc.boolean()),
        reason: field(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('r'.repeat(501)))),
        surprise: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const seen = { invalid: 0, valid: 0, mutated: 0 };
    const wellFormed = fc.oneof(
      fc.record({ action: fc.constant('status'), group: fc.constant(group) }, { requiredKeys: ['action'] }),
      fc.record(
        { action: fc.constant('failover'), group: fc.constant(group), to: fc.constantFrom(a.instanceId, b.instanceId), dryRun: fc.boolean(), reason: fc.string({ minLength: 1, maxLength: 20 }) },
        { requiredKeys: ['action', 'group'] },
      ),
      fc.record({ action: fc.constant('failback'), group: fc.constantFrom(group, 'unknown-group'), dryRun: fc.boolean() }, { requiredKeys: ['action', 'group'] }),
    );
    const payloads = fc.oneof({ weight: 1, arbitrary: fc.jsonValue() }, { weight: 3, arbitrary: structured }, { weight: 2, arbitrary: wellFormed });

    await fc.assert(
      fc.asyncProperty(payloads, async (payload) => {
        world.clearCalls();
        let error: unknown;
        try {
          await h.invoke(payload);
        } catch (caught) {
          error = caught;
        }
        const valid = isValid(payload);
        seen[valid ? 'valid' : 'invalid'] += 1;
        seen.mutated += world.mutations().length > 0 ? 1 : 0;
        if (!valid) {
          expect(error).toBeInstanceOf(InputError);
          const named = (error as InputError).field.split('.')[0];
          const keys = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? Object.keys(payload) : [];
          expect(['payload', 'action', 'group', ...keys]).toContain(named);
          expect(world.calls).toEqual([]);
        } else if (error !== undefined) {
          // A well-formed request for a group no instance carries.
          expect(error).toBeInstanceOf(RefusedError);
        }
        const p = payload as Record<string, unknown>;
        const mayMutate = valid && error === undefined && p['action'] !== 'status' && p['dryRun'] !== true;
        if (!mayMutate) expect(world.mutations()).toEqual([]);
      }),
      { numRuns: 150 },
    );
    expect(seen.invalid).toBeGreaterThan(30);
    expect(seen.valid).toBeGreaterThan(5);
    expect(seen.mutated).toBeGreaterThan(0);
  });
});

// ---- tags ----

const MEMBER_KEYS = ['failover:group', 'failover:kind', 'failover:vip', 'failover:priority', 'failover:ports', 'failover:eip', 'failover:overlay-ip', 'failover:failback', 'failover:cooldown'] as const;

function tagArbitrary(pools: Record<string, readonly string[]>) {
  const value = (key: string) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(pools[key] ?? [''])) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
  const change = fc.oneof(
    fc.constantFrom(...MEMBER_KEYS).chain((key) => value(key).map((v) => ({ key, value: v as string | undefined }))),
    fc.constantFrom(...MEMBER_KEYS).map((key) => ({ key, value: undefined as string | undefined })),
  );
  return fc.array(fc.record({ node: fc.nat(7), change }), { maxLength: 6 });
}

describe('reconcile under arbitrary tags', () => {
  it('never throws and never touches a misconfigured group', async () => {
    const build = () => {
      const clock = manualClock();
      const world = new VpcWorld({ clock, assignDelayMs: 0 });
      const pairs = [buildVipPair({ world }), buildEipPair({ world }), buildNatPair({ world }), buildOverlayPair({ world })];
      return { clock, world, pairs };
    };
    const sample = build();
    const pools: Record<string, readonly string[]> = {
      'failover:group': ['vip-pair', 'eip-pair', 'nat-pair', 'overlay-pair', '', 'bad name', 'x:y'],
      'failover:kind': ['vip', 'eip', 'nat', 'overlay', 'VIP', ''],
      'failover:vip': ['10.0.1.100', '10.0.1.101', '10.1.1.100', '10.0.1.256', '10.0.1.100/32'],
      'failover:priority': ['1', '2', '0', '-1', '1.5', '9999999'],
      'failover:ports': ['22', '22,443', '0', '70000', '22;reboot', ''],
      'failover:eip': [(sample.pairs[1] as { allocationId: string }).allocationId, 'eipalloc-0000000000000dead', ''],
      'failover:overlay-ip': ['100.64.3.1/32', '100.64.3.1', '100.64.3.0/24', 'nope'],
      'failover:failback': ['auto', 'manual', 'sometimes'],
      'failover:cooldown': ['0', '60', '-5', '1e3'],
    };
    const seen = { misconfigured: 0, mutated: 0, mutatedBesideMisconfigured: 0 };
    const natAz = fc.option(fc.oneof(fc.constantFrom('us-east-1a', 'us-east-1b', 'any', '', ' '), fc.string({ maxLength: 8 })), { nil: undefined });

    await fc.assert(
      fc.asyncProperty(tagArbitrary(pools), fc.array(natAz, { minLength: 3, maxLength: 3 }), fc.nat(8), async (changes, natTags, victim) => {
        const { clock, world, pairs } = build();
        const nodes = pairs.flatMap((p) => [p.a, p.b]);
        for (const { node, change } of changes) {
          const rec = world.instances.get(nodes[node]!.instanceId)!;
          const { [change.key]: _old, ...rest } = rec.tags;
          rec.tags = change.value === undefined ? rest : { ...rest, [change.key]: change.value };
        }
        const nat = pairs[2] as ReturnType<typeof buildNatPair>;
        [nat.routeTables.a, nat.routeTables.b, nat.routeTables.any].forEach((id, i) => {
          const rec = world.routeTables.get(id)!;
          const { NATAZ: _old, ...rest } = rec.tags;
          const tag = natTags[i];
          rec.tags = tag === undefined ? rest : { ...rest, NATAZ: tag };
        });
        if (victim < nodes.length) world.stop(nodes[victim]!.instanceId);
        const clients = world.clients();
        const engine = new FailoverEngine({
          ec2: createEc2Port(clients.ec2, { clock }),
          host: createSsmHostPort(clients.ssm, { clock, comment: 'property' }),
          lease: memoryStore(),
          journal: memoryStore(),
          clock,
          log: memoryLog(),
          settings: {
            owner: 'property',
            cooldownMs: 0,
            failback: { vip: 'auto', eip: 'auto', nat: 'auto', overlay: 'auto' },
            leaseTtlMs: 30_000,
            applyConcurrency: 4,
            verifyIntervalMs: 500,
            verifyTimeoutMs: 5_000,
            journalLimit: 5,
          },
        });
        const discovery = engine.discover(await engine.observe(clock.now() + 10_000));
        const owned = new Set<string>();
        for (const g of discovery.groups) {
          for (const m of g.members) owned.add(m.instance.instanceId).add(m.eni.networkInterfaceId);
          if (g.kind === 'nat') for (const t of g.tables) owned.add(t.table.routeTableId);
          if (g.kind === 'overlay') for (const t of g.tables) owned.add(t.routeTableId);
          if (g.kind === 'eip') owned.add(g.allocationId);
        }
        world.clearCalls();

        const results = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: clock.now() + 30_000 });

        const broken = new Set(discovery.misconfigured.map((g) => g.name));
        seen.misconfigured += broken.size > 0 ? 1 : 0;
        seen.mutated += world.mutations().length > 0 ? 1 : 0;
        seen.mutatedBesideMisconfigured += broken.size > 0 && world.mutations().length > 0 ? 1 : 0;
        for (const r of results) if (broken.has(r.group)) expect(r.outcome).toBe('refused');
        for (const call of world.mutations()) {
          const ids = ['NetworkInterfaceId', 'RouteTableId', 'AllocationId', 'InstanceIds']
            .flatMap((k) => [call.input[k]].flat())
            .filter((v): v is string => typeof v === 'string');
          for (const id of ids) expect(owned, `${call.operation} touched ${id}`).toContain(id);
        }
      }),
      { numRuns: 100 },
    );
    // The generator must reach the interesting cases, or the property proves nothing.
    expect(seen.misconfigured).toBeGreaterThan(10);
    expect(seen.mutatedBesideMisconfigured).toBeGreaterThan(5);
  });
});
