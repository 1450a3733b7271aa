/**
 * The in-memory store the fast core tests use behaves as the DynamoDB store does: the same
 * specification, run against both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../shared/aws/dynamo.js';
import type { JournalPort, LeasePort } from '../../shared/core/ports.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { memoryStore } from '../support/memory-store.js';
import { freshTable } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

const T0 = 1_750_000_000_000;
const TTL = 30_000;

const stores: [string, () => Promise<LeasePort & JournalPort>][] = [
  ['memory', async () => memoryStore()],
  ['dynamodb', async () => createDynamoStore(db.client, await freshTable(db))],
];

describe.each(stores)('lease and journal contract (%s)', (_name, make) => {
  it('grants a fresh group with token 1 and no history', async () => {
    const store = await make();
    expect(await store.tryAcquire('g', 'one', TTL, T0)).toEqual({ group: 'g', owner: 'one', token: 1, expiresAt: T0 + TTL });
  });

  it('refuses another owner until the lease expires at exactly leaseExpiresAt', async () => {
    const store = await make();
    await store.tryAcquire('g', 'one', TTL, T0);
    expect(await store.tryAcquire('g', 'two', TTL, T0 + TTL - 1)).toBeUndefined();
    expect(await store.tryAcquire('g', 'two', TTL, T0 + TTL)).toEqual({ group: 'g', owner: 'two', token: 2, expiresAt: T0 + 2 * TTL, previousReleasedAt: T0 + TTL, previousLapsed: true });
  });

  it('gives the same owner a new token when it acquires again', async () => {
    const store = await make();
    await store.tryAcquire('g', 'one', TTL, T0);
    expect((await store.tryAcquire('g', 'one', TTL, T0 + 1))?.token).toBe(2);
  });

  it('tells the next holder when the lease was released and when the group last moved', async () => {
    const store = await make();
    const grant = await store.tryAcquire('g', 'one', TTL, T0);
    await store.release(grant!, T0 + 100, { movedAt: T0 + 50 });
    expect(await store.tryAcquire('g', 'two', TTL, T0 + 200)).toEqual({
      group: 'g',
      owner: 'two',
      token: 2,
      expiresAt: T0 + 200 + TTL,
      previousReleasedAt: T0 + 100,
      lastMoveAt: T0 + 50,
    });
    expect(await store.lastMoves(['g', 'never'])).toEqual({ g: { lastMoveAt: T0 + 50 } });
  });

  it('reports the expiry as the end of a lease the previous holder let lapse', async () => {
    const store = await make();
    const first = await store.tryAcquire('g', 'one', TTL, T0);
    await store.release(first!, T0 + 1);
    await store.tryAcquire('g', 'two', TTL, T0 + 2);
    const third = await store.tryAcquire('g', 'three', TTL, T0 + 5 + TTL);
    expect(third?.previousReleasedAt).toBe(T0 + 2 + TTL);
    expect(third?.previousLapsed).toBe(true);
  });

  it('says nothing lapsed when the previous holder released its lease', async () => {
    const store = await make();
    const first = await store.tryAcquire('g', 'one', TTL, T0);
    await store.release(first!, T0 + 1);
    expect((await store.tryAcquire('g', 'two', TTL, T0 + 2))?.previousLapsed).toBeUndefined();
  });

  it('reports now as the end of a lease its own retried owner still held', async () => {
    const store = await make();
    await store.tryAcquire('g', 'one', TTL, T0);
    expect(await store.tryAcquire('g', 'one', TTL, T0 + 10)).toMatchObject({ previousReleasedAt: T0 + 10, previousLapsed: true });
  });

  it('ignores a release by a holder whose lease was re-granted (fenced by token)', async () => {
    const store = await make();
    const stale = await store.tryAcquire('g', 'one', TTL, T0);
    await store.tryAcquire('g', 'one', TTL, T0 + TTL);
    await store.release(stale!, T0 + TTL + 1, { movedAt: T0 + TTL + 1 });
    expect(await store.tryAcquire('g', 'two', TTL, T0 + TTL + 2)).toBeUndefined();
    expect(await store.lastMoves(['g'])).toEqual({});
  });

  it('adopts a first roster only once, and hands it to planning and the next holder', async () => {
    const store = await make();
    expect(await store.adoptRoster('g', ['i-b', 'i-a'])).toBe(true);
    expect(await store.adoptRoster('g', ['i-x'])).toBe(false);
    expect(await store.lastMoves(['g'])).toEqual({ g: { roster: ['i-a', 'i-b'] } });
    expect(await store.tryAcquire('g', 'one', TTL, T0)).toEqual({ group: 'g', owner: 'one', token: 1, expiresAt: T0 + TTL, roster: ['i-a', 'i-b'] });
  });

  it('records the roster a release gives, beside the move, and keeps it when the next release gives none', async () => {
    const store = await make();
    const first = await store.tryAcquire('g', 'one', TTL, T0);
    await store.release(first!, T0 + 10, { movedAt: T0 + 5, roster: ['i-c', 'i-a'] });
    const second = await store.tryAcquire('g', 'two', TTL, T0 + 20);
    await store.release(second!, T0 + 30);
    expect(await store.lastMoves(['g'])).toEqual({ g: { lastMoveAt: T0 + 5, roster: ['i-a', 'i-c'] } });
    expect(await store.adoptRoster('g', ['i-x'])).toBe(false);
  });

  it('ignores the roster of a release by a fenced holder', async () => {
    const store = await make();
    const stale = await store.tryAcquire('g', 'one', TTL, T0);
    await store.tryAcquire('g', 'one', TTL, T0 + TTL);
    await store.release(stale!, T0 + TTL + 1, { roster: ['i-attacker'] });
    expect(await store.lastMoves(['g'])).toEqual({});
  });

  it('keeps the members and newcomers of a journaled move', async () => {
    const store = await make();
    await store.record({ group: 'g', at: T0, trigger: 'probe', kind: 'move', reason: 'r', actions: [], outcome: 'applied', durationMs: 1, members: ['i-a', 'i-n'], newcomers: ['i-n'] });
    expect((await store.recent('g', 1))[0]).toMatchObject({ members: ['i-a', 'i-n'], newcomers: ['i-n'] });
  });

  it('keeps the journal newest first, per group and across groups', async () => {
    const store = await make();
    const entry = (group: string, at: number) => ({ group, at, trigger: 'manual' as const, reason: 'r', actions: ['a'], outcome: 'applied' as const, durationMs: 1 });
    await store.record(entry('g', T0));
    await store.record(entry('h', T0 + 1));
    await store.record(entry('g', T0 + 2));
    expect((await store.recent('g', 10)).map((e) => e.at)).toEqual([T0 + 2, T0]);
    expect((await store.recent(undefined, 2)).map((e) => [e.group, e.at])).toEqual([
      ['g', T0 + 2],
      ['h', T0 + 1],
    ]);
    expect(await store.recent('g', 0)).toEqual([]);
  });
});
