/**
 * The EventBridge side of the lab: state-change envelopes in the documented shape (the one the
 * fixtures in test/events hold), delivered to the handler a little after the world changed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventBridge, stateChangeEvent } from '../../lab/events.js';
import { parseEvent } from '../../shared/events/schemas.js';
import { manualClock } from '../../sim/clock.js';
import { buildVipPair } from '../../sim/world.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../events/aws.ec2/${name}.json`, import.meta.url), 'utf8'));

describe('stateChangeEvent', () => {
  it('builds exactly the envelope of the stopping fixture', () => {
    const event = stateChangeEvent({
      instanceId: 'i-1234567890abcdef0',
      state: 'stopping',
      at: Date.parse('2026-11-23T13:00:00.400Z'),
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      region: 'us-east-1',
      account: '123456789012',
    });

    expect(event).toEqual(fixture('stopping'));
  });

  it('is accepted by the on-event parser, with the time to the second', () => {
    const event = stateChangeEvent({ instanceId: 'i-00000000000000001', state: 'stopped', at: 1_700_000_000_999, id: 'e-1', region: 'eu-west-1', account: '210987654321' });

    expect(parseEvent(event)).toMatchObject({ kind: 'state-change', instanceId: 'i-00000000000000001', state: 'stopped', time: 1_700_000_000_000 });
  });

  it.each([
    [{ instanceId: 'i-123; reboot' }, 'not an instance ID'],
    [{ account: '12345' }, 'not an account ID'],
    [{ region: 'mars' }, 'not a region'],
  ])('refuses %j', (override, message) => {
    const input = { instanceId: 'i-00000000000000001', state: 'stopped' as const, at: 0, id: 'e-1', region: 'us-east-1', account: '123456789012', ...override };

    expect(() => stateChangeEvent(input)).toThrow(message);
  });
});

describe('eventBridge', () => {
  it('delivers each state change of the world, after the delay, with what the handler answered', async () => {
    const clock = manualClock();
    const { world, a } = buildVipPair({ worldOptions: { clock } });
    const handled: string[] = [];
    const bridge = eventBridge(world, async (event) => (handled.push(event.detail.state), { action: 'evacuate' }), { delayMs: 500, clock, newId: () => 'id-1' });

    world.setState(a.instanceId, 'stopping');
    world.stop(a.instanceId);
    await bridge.idle();

    expect(handled).toEqual(['stopping', 'stopped']);
    expect(clock.sleeps).toEqual([500, 500]);
    expect(bridge.deliveries.map((d) => [d.event.detail['instance-id'], d.event.detail.state, d.result])).toEqual([
      [a.instanceId, 'stopping', { action: 'evacuate' }],
      [a.instanceId, 'stopped', { action: 'evacuate' }],
    ]);
  });

  it('records a handler failure instead of losing the event, and stops listening once closed', async () => {
    const clock = manualClock();
    const { world, a, b } = buildVipPair({ worldOptions: { clock } });
    const bridge = eventBridge(world, async () => Promise.reject(new Error('lease busy')), { delayMs: 0, clock, newId: () => 'id-1' });

    world.setState(a.instanceId, 'stopping');
    await bridge.idle();
    await bridge.close();
    world.setState(b.instanceId, 'stopping');
    await bridge.idle();

    expect(bridge.deliveries).toEqual([expect.objectContaining({ error: 'lease busy' })]);
  });

  it('delivers each event as often and as late as the fate says: never, once late, twice', async () => {
    const clock = manualClock();
    const { world, a } = buildVipPair({ worldOptions: { clock } });
    const fates = [[], [500 + 7_000], [500, 2_500]];
    const handled: string[] = [];
    const bridge = eventBridge(world, async (event) => handled.push(event.detail.state), { delayMs: 500, clock, newId: () => 'id-1', fate: () => fates.shift() ?? [] });

    world.setState(a.instanceId, 'stopping');
    world.stop(a.instanceId);
    world.setState(a.instanceId, 'pending');
    await bridge.idle();

    expect(handled.sort()).toEqual(['pending', 'pending', 'stopped']);
    expect(clock.sleeps).toEqual([7_500, 500, 2_500]);
  });
});
