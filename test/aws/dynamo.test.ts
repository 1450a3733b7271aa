import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type BatchGetItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../shared/aws/dynamo.js';
import { AwsCallError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';

const dynamo = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const TABLE = 'failover';

const throttled = () => new ProvisionedThroughputExceededException({ $metadata: { httpStatusCode: 400 }, message: 'throughput exceeded' });
const leaseKey = (group: string) => ({ pk: { S: `group#${group}` }, sk: { S: 'lease' } });

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoStore requests', () => {
  it('acquires with one conditional UpdateItem that reads the old image', async () => {
    dynamo.on(UpdateItemCommand).resolves({});

    await createDynamoStore(client, TABLE).tryAcquire('web', 'owner-a', 30_000, 1_000);

    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: leaseKey('web'),
      ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(#owner) OR #owner = :owner OR #expires <= :now',
      UpdateExpression: 'SET #owner = :owner, #expires = :expires, #token = if_not_exists(#token, :zero) + :one',
      ExpressionAttributeNames: { '#owner': 'owner', '#expires': 'leaseExpiresAt', '#token': 'token' },
      ExpressionAttributeValues: {
        ':owner': { S: 'owner-a' },
        ':now': { N: '1000' },
        ':expires': { N: '31000' },
        ':zero': { N: '0' },
        ':one': { N: '1' },
      },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('releases only if owner and token still match, recording the move', async () => {
    dynamo.on(UpdateItemCommand).resolves({});

    await createDynamoStore(client, TABLE).release({ group: 'web', owner: 'owner-a', token: 7, expiresAt: 31_000 }, 5_000, { movedAt: 4_000 });

    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: leaseKey('web'),
      ConditionExpression: '#owner = :me AND #token = :token',
      UpdateExpression: 'REMOVE #owner SET releasedAt = :now, leaseExpiresAt = :now, lastMoveAt = :movedAt',
      ExpressionAttributeNames: { '#owner': 'owner', '#token': 'token' },
      ExpressionAttributeValues: { ':me': { S: 'owner-a' }, ':token': { N: '7' }, ':now': { N: '5000' }, ':movedAt': { N: '4000' } },
    });
  });

  it('returns quietly when the lease was lost before release', async () => {
    dynamo.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ $metadata: { httpStatusCode: 400 }, message: 'The conditional request failed' }));

    await expect(
      createDynamoStore(client, TABLE).release({ group: 'web', owner: 'owner-a', token: 7, expiresAt: 31_000 }, 5_000),
    ).resolves.toBeUndefined();
  });

  it('translates a throttled acquire into a retriable AwsCallError naming the group', async () => {
    dynamo.on(UpdateItemCommand).rejects(throttled());

    const error = await createDynamoStore(client, TABLE)
      .tryAcquire('web', 'owner-a', 30_000, 1_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'UpdateItem', code: 'ProvisionedThroughputExceededException', retriable: true });
    expect((error as AwsCallError).context).toEqual({ tableName: TABLE, group: 'web', owner: 'owner-a' });
  });

  it('translates a failed release that is not a lost condition', async () => {
    dynamo.on(UpdateItemCommand).rejects(throttled());

    const error = await createDynamoStore(client, TABLE)
      .release({ group: 'web', owner: 'owner-a', token: 7, expiresAt: 31_000 }, 5_000)
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ operation: 'UpdateItem', retriable: true });
  });

  it('translates failed journal writes and reads', async () => {
    dynamo.on(PutItemCommand).rejects(throttled());
    dynamo.on(QueryCommand).rejects(throttled());
    const store = createDynamoStore(client, TABLE);

    const writeError = await store
      .record({ group: 'web', at: 1, trigger: 'manual', reason: 'r', actions: [], outcome: 'applied', durationMs: 1 })
      .catch((e: unknown) => e);
    const readError = await store.recent('web', 5).catch((e: unknown) => e);

    expect(writeError).toMatchObject({ operation: 'PutItem', retriable: true, context: { tableName: TABLE, group: 'web' } });
    expect(readError).toMatchObject({ operation: 'Query', retriable: true, context: { tableName: TABLE, group: 'web' } });
  });

  it('queries the recent index newest first when no group is given', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });

    await createDynamoStore(client, TABLE).recent(undefined, 25);

    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      IndexName: 'recent',
      KeyConditionExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: { ':kind': { S: 'journal' } },
      ScanIndexForward: false,
      Limit: 25,
    });
  });

  it('skips journal items it cannot read rather than inventing fields', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        { group: { S: 'web' }, at: { N: '5' }, trigger: { S: 'teleport' }, outcome: { S: 'applied' } },
        { group: { S: 'web' }, at: { N: '4' }, trigger: { S: 'manual' }, outcome: { S: 'applied' }, actions: { L: [{ S: 'x' }, { N: '1' }] } },
      ],
    });

    const entries = await createDynamoStore(client, TABLE).recent('web', 5);

    expect(entries).toEqual([{ group: 'web', at: 4, trigger: 'manual', reason: '', actions: ['x'], outcome: 'applied', durationMs: 0 }]);
  });
});

describe('DynamoStore rosters', () => {
  it('adopts a first roster with one UpdateItem conditional on there being none', async () => {
    dynamo.on(UpdateItemCommand).resolves({});

    const adopted = await createDynamoStore(client, TABLE).adoptRoster('web', ['i-b', 'i-a']);

    expect(adopted).toBe(true);
    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: leaseKey('web'),
      ConditionExpression: 'attribute_not_exists(roster)',
      UpdateExpression: 'SET roster = :roster',
      ExpressionAttributeValues: { ':roster': { L: [{ S: 'i-a' }, { S: 'i-b' }] } },
    });
  });

  it('answers false when a roster was recorded first, and translates other failures', async () => {
    dynamo.on(UpdateItemCommand).rejectsOnce(new ConditionalCheckFailedException({ $metadata: {}, message: 'exists' })).rejectsOnce(throttled());
    const store = createDynamoStore(client, TABLE);

    expect(await store.adoptRoster('web', ['i-a'])).toBe(false);
    expect(await store.adoptRoster('web', ['i-a']).catch((e: unknown) => e)).toMatchObject({ operation: 'UpdateItem', retriable: true, context: { group: 'web' } });
  });

  it('records the roster with the release, sorted', async () => {
    dynamo.on(UpdateItemCommand).resolves({});

    await createDynamoStore(client, TABLE).release({ group: 'web', owner: 'o', token: 2, expiresAt: 9_000 }, 5_000, { roster: ['i-b', 'asg:web', 'i-a'] });

    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'REMOVE #owner SET releasedAt = :now, leaseExpiresAt = :now, roster = :roster',
      ExpressionAttributeValues: { ':roster': { L: [{ S: 'asg:web' }, { S: 'i-a' }, { S: 'i-b' }] } },
    });
  });

  it('reads the roster from the old image of an acquire and from a batch read', async () => {
    dynamo.on(UpdateItemCommand).resolves({ Attributes: { pk: { S: 'group#web' }, roster: { L: [{ S: 'i-a' }] }, token: { N: '3' } } });
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [{ pk: { S: 'group#web' }, roster: { L: [] } }, { pk: { S: 'group#old' }, lastMoveAt: { N: '7' } }] } });
    const store = createDynamoStore(client, TABLE);

    expect((await store.tryAcquire('web', 'o', 1_000, 0))?.roster).toEqual(['i-a']);
    expect(await store.lastMoves(['web', 'old'])).toEqual({ web: { roster: [] }, old: { lastMoveAt: 7 } });
  });
});

describe('DynamoStore.lastMoves', () => {
  it('asks for 100 keys per BatchGetItem with a projection', async () => {
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    const groups = Array.from({ length: 250 }, (_, index) => `g${index}`);

    await createDynamoStore(client, TABLE).lastMoves(groups);

    const requests = dynamo.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(requests.map((request) => request?.Keys?.length)).toEqual([100, 100, 50]);
    expect(requests[0]?.Keys?.[0]).toEqual(leaseKey('g0'));
    expect(requests[0]?.ProjectionExpression).toBe('pk, lastMoveAt, roster');
  });

  it('retries unprocessed keys with backoff until they are read', async () => {
    const clock = manualClock();
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [{ pk: { S: 'group#a' }, lastMoveAt: { N: '10' } }] },
        UnprocessedKeys: { [TABLE]: { Keys: [leaseKey('b')] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [{ pk: { S: 'group#b' }, lastMoveAt: { N: '20' } }] } });

    const moves = await createDynamoStore(client, TABLE, { clock }).lastMoves(['a', 'b']);

    expect(moves).toEqual({ a: { lastMoveAt: 10 }, b: { lastMoveAt: 20 } });
    expect((dynamo.commandCalls(BatchGetItemCommand)[1]?.args[0].input as BatchGetItemCommandInput).RequestItems?.[TABLE]?.Keys).toEqual([
      leaseKey('b'),
    ]);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('gives up after a bounded number of attempts with a retriable error', async () => {
    const clock = manualClock();
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [leaseKey('a')] } } });

    const error = await createDynamoStore(client, TABLE, { clock })
      .lastMoves(['a'])
      .catch((e: unknown) => e);

    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(5);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'BatchGetItem', code: 'UnprocessedKeys', retriable: true });
  });

  it('translates a failed BatchGetItem', async () => {
    dynamo.on(BatchGetItemCommand).rejects(throttled());

    const error = await createDynamoStore(client, TABLE, { clock: manualClock() })
      .lastMoves(['a'])
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ operation: 'BatchGetItem', retriable: true, context: { tableName: TABLE } });
  });
});
