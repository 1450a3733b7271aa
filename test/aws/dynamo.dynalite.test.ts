import { DescribeTableCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStore, createProbeStateStore, tableDefinition } from '../../shared/aws/dynamo.js';
import type { JournalEntry } from '../../shared/core/ports.js';
import { startDynalite, type DynaliteHandle } from '../../sim/dynalite.js';

const T0 = 1_750_000_000_000;
const TTL = 30_000;

let db: DynaliteHandle;
let groupCounter = 0;
/** Each test works on its own groups, so tests cannot see each other's leases. */
const freshGroup = (label: string): string => `${label}-${++groupCounter}`;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

function store() {
  return createDynamoStore(db.client, db.tableName);
}

function entry(group: string, at: number, overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    group,
    at,
    trigger: 'probe',
    reason: `primary unhealthy at ${at}`,
    from: 'i-0aaaaaaaaaaaaaaaa',
    to: 'i-0bbbbbbbbbbbbbbbb',
    actions: ['assign-private-ip 10.0.1.10', 'activate-ip 10.0.1.10'],
    outcome: 'applied',
    durationMs: 1234,
    ...overrides,
  };
}

describe('tableDefinition', () => {
  it('creates a table with pk/sk keys and the recent index on kind/at', async () => {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableName }));

    expect(Table?.KeySchema).toEqual(tableDefinition(db.tableName).KeySchema);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema, index.Projection])).toEqual([
      [
        'recent',
        [
          { AttributeName: 'kind', KeyType: 'HASH' },
          { AttributeName: 'at', KeyType: 'RANGE' },
        ],
        { ProjectionType: 'ALL' },
      ],
    ]);
  });
});

describe('DynamoStore lease', () => {
  it('grants a fresh group with token 1 and no history', async () => {
    const group = freshGroup('fresh');

    const grant = await store().tryAcquire(group, 'owner-a', TTL, T0);

    expect(grant).toEqual({ group, owner: 'owner-a', token: 1, expiresAt: T0 + TTL });
  });

  it('refuses a second owner while the lease is held', async () => {
    const group = freshGroup('held');
    await store().tryAcquire(group, 'owner-a', TTL, T0);

    const grant = await store().tryAcquire(group, 'owner-b', TTL, T0 + TTL - 1);

    expect(grant).toBeUndefined();
  });

  it('grants a second owner once the lease has expired, with the next token', async () => {
    const group = freshGroup('expired');
    await store().tryAcquire(group, 'owner-a', TTL, T0);

    const grant = await store().tryAcquire(group, 'owner-b', TTL, T0 + TTL);

    expect(grant).toEqual({ group, owner: 'owner-b', token: 2, expiresAt: T0 + 2 * TTL, previousReleasedAt: T0 + TTL, previousLapsed: true });
  });

  it('records the release and the move, and reports both to the next holder', async () => {
    const group = freshGroup('released');
    const first = await store().tryAcquire(group, 'owner-a', TTL, T0);
    await store().release(first!, T0 + 5_000, { movedAt: T0 + 4_000 });

    const second = await store().tryAcquire(group, 'owner-b', TTL, T0 + 6_000);

    expect(second).toEqual({
      group,
      owner: 'owner-b',
      token: 2,
      expiresAt: T0 + 6_000 + TTL,
      previousReleasedAt: T0 + 5_000,
      lastMoveAt: T0 + 4_000,
    });
  });

  it('keeps the last move when a later holder releases without moving', async () => {
    const group = freshGroup('keep-move');
    const first = await store().tryAcquire(group, 'owner-a', TTL, T0);
    await store().release(first!, T0 + 1_000, { movedAt: T0 + 500 });
    const second = await store().tryAcquire(group, 'owner-b', TTL, T0 + 2_000);
    await store().release(second!, T0 + 3_000);

    const third = await store().tryAcquire(group, 'owner-c', TTL, T0 + 4_000);

    expect(third?.lastMoveAt).toBe(T0 + 500);
    expect(third?.previousReleasedAt).toBe(T0 + 3_000);
  });

  it('reports the expiry as the end of a lease the previous holder let lapse', async () => {
    const group = freshGroup('lapsed');
    const first = await store().tryAcquire(group, 'owner-a', TTL, T0);
    await store().release(first!, T0 + 1_000);
    await store().tryAcquire(group, 'owner-b', TTL, T0 + 2_000); // crashes, never releases

    const third = await store().tryAcquire(group, 'owner-c', TTL, T0 + 9_000 + TTL);

    expect(third).toBeDefined();
    expect(third?.previousReleasedAt).toBe(T0 + 2_000 + TTL);
    expect(third?.previousLapsed).toBe(true);
    expect(third?.token).toBe(3);
  });

  it('ignores a release by a stale holder and leaves the new holder in place', async () => {
    const group = freshGroup('stale');
    const stale = await store().tryAcquire(group, 'owner-a', TTL, T0);
    const current = await store().tryAcquire(group, 'owner-b', TTL, T0 + TTL);

    await store().release(stale!, T0 + TTL + 1, { movedAt: T0 + TTL + 1 });

    expect(current).toBeDefined();
    expect(await store().tryAcquire(group, 'owner-c', TTL, T0 + TTL + 2)).toBeUndefined();
    expect(await store().lastMoves([group])).toEqual({});
  });

  it('fences a release by the same owner after its lease was re-granted', async () => {
    const group = freshGroup('same-owner');
    const old = await store().tryAcquire(group, 'owner-a', TTL, T0);
    const renewed = await store().tryAcquire(group, 'owner-a', TTL, T0 + 1_000);

    await store().release(old!, T0 + 2_000);

    expect(renewed?.token).toBe(2);
    expect(await store().tryAcquire(group, 'owner-b', TTL, T0 + 3_000)).toBeUndefined();
  });

  it('lets exactly one of many concurrent acquirers win', async () => {
    const group = freshGroup('race');
    const owners = Array.from({ length: 20 }, (_, index) => `owner-${index}`);

    const grants = await Promise.all(owners.map((owner) => store().tryAcquire(group, owner, TTL, T0)));

    const winners = grants.filter((grant) => grant !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.token).toBe(1);
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: `group#${group}` }, sk: { S: 'lease' } } }),
    );
    expect(Item?.['owner']).toEqual({ S: winners[0]?.owner });
  });

  it('reads the last move of many groups, across BatchGetItem chunks, skipping groups that never moved', async () => {
    const moved = Array.from({ length: 130 }, (_, index) => freshGroup(`many-${index}`));
    const never = freshGroup('never');
    for (const [index, group] of moved.entries()) {
      const grant = await store().tryAcquire(group, 'owner-a', TTL, T0);
      await store().release(grant!, T0 + 10, { movedAt: T0 + index });
    }

    const lastMoves = await store().lastMoves([...moved, never, moved[0]!]);

    expect(Object.keys(lastMoves)).toHaveLength(130);
    expect(lastMoves[moved[0]!]).toEqual({ lastMoveAt: T0 });
    expect(lastMoves[moved[129]!]).toEqual({ lastMoveAt: T0 + 129 });
    expect(lastMoves[never]).toBeUndefined();
  });

  it('returns no last moves for no groups', async () => {
    expect(await store().lastMoves([])).toEqual({});
  });
});

describe('DynamoStore journal', () => {
  it('returns a group’s entries newest first, limited, with every field intact', async () => {
    const group = freshGroup('journal');
    const other = freshGroup('journal-other');
    await store().record(entry(group, T0 + 1_000));
    await store().record(entry(group, T0 + 3_000, { outcome: 'failed', error: 'RequestLimitExceeded', trigger: 'manual' }));
    await store().record(entry(group, T0 + 2_000, { from: undefined, to: undefined, actions: [] }));
    await store().record(entry(other, T0 + 4_000));

    const entries = await store().recent(group, 2);

    expect(entries).toEqual([
      entry(group, T0 + 3_000, { outcome: 'failed', error: 'RequestLimitExceeded', trigger: 'manual' }),
      { group, at: T0 + 2_000, trigger: 'probe', reason: `primary unhealthy at ${T0 + 2_000}`, actions: [], outcome: 'applied', durationMs: 1234 },
    ]);
  });

  it('orders entries by time even when the digits of the timestamps differ in count', async () => {
    const group = freshGroup('digits');
    await store().record(entry(group, 999));
    await store().record(entry(group, 10_000));

    const entries = await store().recent(group, 10);

    expect(entries.map((e) => e.at)).toEqual([10_000, 999]);
  });

  it('keeps two entries recorded at the same millisecond', async () => {
    const group = freshGroup('same-ms');
    await store().record(entry(group, T0));
    await store().record(entry(group, T0, { reason: 'second' }));

    const entries = await store().recent(group, 10);

    expect(entries.map((e) => e.reason).sort()).toEqual([`primary unhealthy at ${T0}`, 'second']);
  });

  it('returns the newest entries across groups through the recent index', async () => {
    const a = freshGroup('across-a');
    const b = freshGroup('across-b');
    const far = T0 + 10_000_000; // newer than anything other tests record
    await store().record(entry(a, far + 1));
    await store().record(entry(b, far + 3));
    await store().record(entry(a, far + 2));

    const entries = await store().recent(undefined, 3);

    expect(entries.map((e) => [e.group, e.at])).toEqual([
      [b, far + 3],
      [a, far + 2],
      [a, far + 1],
    ]);
  });

  it('keeps a drill’s legs with its entry, and reads back only what has the shape of a leg', async () => {
    const group = freshGroup('drill');
    const legs = [
      { leg: 'out' as const, from: 'i-0aaaaaaaaaaaaaaaa', to: 'i-0bbbbbbbbbbbbbbbb', outcome: 'changed', switchMs: 240, answeredMs: 600, maxGapMs: 400, checks: { answered: 3, failed: 2 } },
      { leg: 'back' as const, from: 'i-0bbbbbbbbbbbbbbbb', to: 'i-0aaaaaaaaaaaaaaaa', outcome: 'changed', switchMs: 250 },
    ];
    await store().record(entry(group, T0, { trigger: 'manual', kind: 'drill', legs }));

    const [read] = await store().recent(group, 1);

    expect(read).toMatchObject({ kind: 'drill', legs });
  });

  it('does not mix lease items into the journal', async () => {
    const group = freshGroup('lease-and-journal');
    await store().tryAcquire(group, 'owner-a', TTL, T0);
    await store().record(entry(group, T0));

    const entries = await store().recent(group, 10);

    expect(entries).toHaveLength(1);
  });

  it('sets the ttl attribute journalTtlDays after the entry, in epoch seconds', async () => {
    const group = freshGroup('ttl');
    await createDynamoStore(db.client, db.tableName, { journalTtlDays: 7 }).record(entry(group, T0));

    const { Items } = await db.client.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `group#${group}` } },
      }),
    );

    expect(Items?.[0]?.['ttl']).toEqual({ N: String(T0 / 1000 + 7 * 86_400) });
  });

  it('returns nothing for a limit below one without querying', async () => {
    expect(await store().recent(undefined, 0)).toEqual([]);
  });
});

describe('DynamoStore journal entry kinds and keys', () => {
  it('returns the key of a recorded entry, and reads its kind back', async () => {
    const group = freshGroup('kinds');
    const key = await store().record(entry(group, T0, { kind: 'repair' }));

    expect(key).toMatch(new RegExp(`^group#${group}/journal#0*${T0}#[0-9a-z]{8}$`));
    expect(await store().recent(group, 5)).toEqual([expect.objectContaining({ kind: 'repair' })]);
  });
});

describe('probe state store', () => {
  const state = (runStartedAt: number, bad: number) => ({
    savedAt: runStartedAt + 57_000,
    runStartedAt,
    states: { 'i-0aaaaaaaaaaaaaaaa': { good: 0, bad, egressGood: 0, egressBad: 0, egressDown: false, forwardingGood: 0, forwardingBad: 0, forwardingDown: false, why: 'x' } },
    os: { 'i-0aaaaaaaaaaaaaaaa': { at: runStartedAt, addresses: { '10.0.1.100': true } } },
  });

  it('reads back what a run saved, and nothing before any run saved', async () => {
    const probeState = createProbeStateStore(db.client, db.tableName);
    expect(await createProbeStateStore(db.client, `${db.tableName}`).load()).toEqual(undefined);

    await probeState.save(state(T0, 1));

    expect(await probeState.load()).toEqual(state(T0, 1));
  });

  it('never lets a run that started earlier overwrite the state of a later one', async () => {
    const probeState = createProbeStateStore(db.client, db.tableName);
    await probeState.save(state(T0 + 120_000, 2));

    await probeState.save(state(T0 + 60_000, 9));

    expect((await probeState.load())?.runStartedAt).toBe(T0 + 120_000);
  });
});
