/** The reaction to each event, decided from the event and the instance's state in the current snapshot. */
import { describe, expect, it } from 'vitest';
import type { InstanceState } from '../../shared/core/model.js';
import { react } from '../../shared/events/react.js';
import type { LifecycleAction, ParsedEvent } from '../../shared/events/schemas.js';
import { eniOf, node, snapshot, withSecondEni } from '../support/snapshot.js';

const A = 'i-0000000000000000a';
const NOW = 1_800_000_000_000;
const vip = (state: InstanceState = 'running', extra: Record<string, string> = {}) =>
  node({ id: A, state, tags: { 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': '10.0.1.100', ...extra } });
const world = (...instances: ReturnType<typeof node>[]) => snapshot({ instances, at: NOW });
const stateChange = (state: InstanceState, time = NOW - 1_000): ParsedEvent => ({ kind: 'state-change', id: 'e1', time, instanceId: A, state });
const action: LifecycleAction = { autoScalingGroupName: 'nat-asg', lifecycleHookName: 'vpc-failover-launch', token: '87654321-4321-4321-4321-210987654321', instanceId: A };
const lifecycle = (transition: 'launch' | 'terminate', destination?: 'WarmPool' | 'AutoScalingGroup' | 'EC2'): ParsedEvent => ({
  kind: 'lifecycle',
  id: 'e2',
  time: NOW - 1_000,
  instanceId: A,
  transition,
  action,
  ...(destination ? { destination } : {}),
});

describe('react', () => {
  describe('an instance that is not enrolled', () => {
    it('ignores a state change at debug level', () => {
      expect(react(stateChange('stopping'), world(), NOW)).toEqual({ do: 'ignore', level: 'debug', reason: expect.stringContaining('not enrolled') });
    });

    it('still completes a lifecycle action of our hook, with nothing to prepare', () => {
      expect(react(lifecycle('terminate'), world(), NOW)).toEqual({ do: 'complete', prepare: [], complete: action, reason: expect.stringContaining('not enrolled') });
    });

    it('treats an empty group tag as a warning, not as a group', () => {
      expect(react(stateChange('stopping'), world(vip('stopping', { 'failover:group': ' ' })), NOW)).toMatchObject({ do: 'ignore', level: 'warn' });
    });

    it('treats a snapshot instance without a group tag like one with an empty tag', () => {
      const untagged = node({ id: A, state: 'stopping', tags: { Name: 'bastion' } });
      expect(react(stateChange('stopping'), world(untagged), NOW)).toMatchObject({ do: 'ignore', level: 'warn' });
    });

    it('still completes a lifecycle action for an instance with an empty group tag', () => {
      expect(react(lifecycle('terminate'), world(vip('running', { 'failover:group': '' })), NOW)).toEqual({ do: 'complete', prepare: [], complete: action, reason: expect.stringContaining('empty') });
    });
  });

  describe('the instance an event is about', () => {
    it('is found among the other instances of the snapshot', () => {
      const other = node({ id: 'i-0000000000000000b', state: 'stopping', tags: { 'failover:group': 'db', 'failover:kind': 'vip', 'failover:vip': '10.0.1.101' } });
      expect(react(stateChange('stopping'), world(other, vip('stopping')), NOW)).toMatchObject({ do: 'run', group: 'web', intent: { type: 'evacuate', instanceId: A } });
    });
  });

  describe('EC2 state changes', () => {
    it.each<InstanceState>(['stopping', 'shutting-down', 'stopped', 'terminated'])('evacuates on stopping when the instance is now %s', (current) => {
      expect(react(stateChange('stopping'), world(vip(current)), NOW)).toMatchObject({ do: 'run', group: 'web', intent: { type: 'evacuate', instanceId: A } });
    });

    it('evacuates on shutting-down', () => {
      expect(react(stateChange('shutting-down'), world(vip('shutting-down')), NOW)).toMatchObject({ do: 'run', intent: { type: 'evacuate', instanceId: A } });
    });

    it.each<InstanceState>(['running', 'pending'])('ignores a stale stopping event when the instance is %s again', (current) => {
      expect(react(stateChange('stopping'), world(vip(current)), NOW)).toEqual({ do: 'ignore', level: 'info', reason: expect.stringMatching(/^stale 'stopping' event: .* is .* now$/) });
    });

    it.each<InstanceState>(['stopped', 'terminated'])('reconciles the group on %s to repair what still points at the instance', (state) => {
      expect(react(stateChange(state), world(vip(state)), NOW)).toMatchObject({ do: 'run', group: 'web', intent: { type: 'reconcile' } });
    });

    it('ignores a stopped event for an instance that runs again', () => {
      expect(react(stateChange('stopped'), world(vip('running')), NOW)).toMatchObject({ do: 'ignore', level: 'info' });
    });

    it('reconciles on running, leaving failback to the policy and the health rule', () => {
      expect(react(stateChange('running'), world(vip('running')), NOW)).toMatchObject({ do: 'run', intent: { type: 'reconcile' } });
    });

    it('ignores a running event for an instance that is stopping again', () => {
      expect(react(stateChange('running'), world(vip('stopping')), NOW)).toMatchObject({ do: 'ignore', level: 'info' });
    });

    it('ignores pending: an instance is no candidate before it runs', () => {
      expect(react(stateChange('pending'), world(vip('pending')), NOW)).toMatchObject({ do: 'ignore', level: 'debug' });
    });
  });

  describe('Spot interruption warnings and rebalance recommendations', () => {
    const spot = (time: number): ParsedEvent => ({ kind: 'spot-interruption', id: 'e3', time, instanceId: A, instanceAction: 'terminate' });

    it('evacuates a running instance on a fresh warning', () => {
      expect(react(spot(NOW - 5_000), world(vip()), NOW)).toMatchObject({ do: 'run', intent: { type: 'evacuate', instanceId: A } });
    });

    it.each([
      { age: 120_000, outcome: 'run' },
      { age: 180_000, outcome: 'run' },
      { age: 180_001, outcome: 'ignore' },
    ])('treats a warning $age ms old on a running instance as $outcome (interruption time plus a minute of slack)', ({ age, outcome }) => {
      expect(react(spot(NOW - age), world(vip()), NOW)).toMatchObject({ do: outcome });
    });

    it('evacuates an instance already stopping, however old the warning', () => {
      expect(react(spot(NOW - 4 * 60_000), world(vip('stopping')), NOW)).toMatchObject({ do: 'run', intent: { type: 'evacuate', instanceId: A } });
    });

    it('says which warning it acts on', () => {
      const rebalance: ParsedEvent = { kind: 'rebalance', id: 'e4', time: NOW - 5_000, instanceId: A };
      expect(react(spot(NOW - 5_000), world(vip()), NOW)).toMatchObject({ reason: expect.stringContaining('Spot interruption warning (terminate)') });
      expect(react(rebalance, world(vip()), NOW)).toMatchObject({ reason: expect.stringContaining('rebalance recommendation') });
    });

    it('ignores a warning whose interruption time has long passed while the instance still runs', () => {
      expect(react(spot(NOW - 4 * 60_000), world(vip()), NOW)).toMatchObject({ do: 'ignore', level: 'info', reason: expect.stringContaining('past its interruption time') });
    });

    it('reconciles when the instance is already gone', () => {
      expect(react(spot(NOW - 5_000), world(vip('terminated')), NOW)).toMatchObject({ do: 'run', intent: { type: 'reconcile' } });
    });

    it('evacuates on a rebalance recommendation, whatever its age', () => {
      const event: ParsedEvent = { kind: 'rebalance', id: 'e4', time: NOW - 3_600_000, instanceId: A };
      expect(react(event, world(vip()), NOW)).toMatchObject({ do: 'run', intent: { type: 'evacuate', instanceId: A } });
    });
  });

  describe('Auto Scaling lifecycle actions', () => {
    const nat = (sourceDestCheck: boolean, state: InstanceState = 'pending') =>
      node({ id: A, state, sourceDestCheck, tags: { 'failover:group': 'nat', 'failover:kind': 'nat' } });

    it('evacuates a terminating instance and completes the action afterwards', () => {
      expect(react(lifecycle('terminate'), world(nat(false, 'running')), NOW)).toEqual({
        do: 'run',
        group: 'nat',
        intent: { type: 'evacuate', instanceId: A },
        complete: action,
        reason: expect.stringContaining('move off it first'),
      });
    });

    it('treats a scale-in back to the warm pool like a termination', () => {
      expect(react(lifecycle('terminate', 'WarmPool'), world(nat(false, 'running')), NOW)).toMatchObject({
        do: 'run',
        intent: { type: 'evacuate' },
        complete: action,
        reason: expect.stringContaining('warm pool'),
      });
    });

    it('reconciles and completes when the terminating instance is already gone', () => {
      expect(react(lifecycle('terminate'), world(nat(false, 'terminated')), NOW)).toMatchObject({ do: 'run', intent: { type: 'reconcile' }, complete: action });
    });

    it.each([undefined, 'WarmPool'] as const)('disables the source/dest check of a launching NAT (destination %s) before completing', (destination) => {
      expect(react(lifecycle('launch', destination), world(nat(true)), NOW)).toEqual({
        do: 'complete',
        prepare: [{ type: 'disable-source-dest-check', networkInterfaceId: eniOf(A), instanceId: A }],
        complete: action,
        reason: expect.stringContaining('disable source/dest check'),
      });
    });

    it('disables the source/dest check on the primary ENI of a NAT with several', () => {
      expect(react(lifecycle('launch'), world(withSecondEni(nat(true))), NOW)).toMatchObject({
        do: 'complete',
        prepare: [{ type: 'disable-source-dest-check', networkInterfaceId: eniOf(A), instanceId: A }],
      });
    });

    it('prepares nothing when the primary ENI already forwards, whatever the other ENIs say', () => {
      expect(react(lifecycle('launch'), world(withSecondEni(nat(false), { sourceDestCheck: true })), NOW)).toMatchObject({ do: 'complete', prepare: [] });
    });

    it('reads the kind tag without the whitespace around it', () => {
      const spaced = node({ id: A, state: 'pending', tags: { 'failover:group': 'nat', 'failover:kind': ' nat ' } });
      expect(react(lifecycle('launch'), world(spaced), NOW)).toMatchObject({ prepare: [{ type: 'disable-source-dest-check', networkInterfaceId: eniOf(A) }] });
    });

    it('prepares nothing for a member without a kind tag', () => {
      const untyped = node({ id: A, state: 'pending', tags: { 'failover:group': 'nat' } });
      expect(react(lifecycle('launch'), world(untyped), NOW)).toMatchObject({ do: 'complete', prepare: [], reason: expect.stringContaining('untyped member needs no preparation') });
    });

    it.each([
      { transition: 'launch', destination: undefined, says: 'launching into service' },
      { transition: 'launch', destination: 'WarmPool', says: 'launching into the warm pool' },
      { transition: 'terminate', destination: undefined, says: 'is terminating' },
      { transition: 'terminate', destination: 'WarmPool', says: 'is back to the warm pool' },
    ] as const)('says where a $transition to $destination goes', ({ transition, destination, says }) => {
      expect(react(lifecycle(transition, destination), world(nat(true, 'running')), NOW)).toMatchObject({ reason: expect.stringContaining(says) });
    });

    it('completes at once when the check is already off', () => {
      expect(react(lifecycle('launch'), world(nat(false)), NOW)).toMatchObject({ do: 'complete', prepare: [] });
    });

    it('prepares nothing for a member that does not forward traffic', () => {
      expect(react(lifecycle('launch'), world(vip('pending')), NOW)).toMatchObject({ do: 'complete', prepare: [], reason: expect.stringContaining('a vip member') });
    });
  });
});
