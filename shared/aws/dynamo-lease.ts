/**
 * The per-group lease on the store's table: conditional updates only, so it is safe under
 * concurrent acquirers in different Lambda invocations, and the history (last move, confirmed
 * roster) kept on the lease item.
 */
import { BatchGetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { AwsCallError } from '../errors.js';
import type { CallOptions, GroupHistory, LeaseGrant, LeaseUpdate } from '../core/ports.js';
import { type Item, LEASE_SK, type Table, groupKey, groupOfKey, num, readNum, readOptionalStrList, readStr, str, strList } from './dynamo-items.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

/** BatchGetItem reads at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
/** Attempts for keys BatchGetItem leaves unprocessed (throttled partitions) before giving up. */
const BATCH_GET_ATTEMPTS = 5;

export async function tryAcquire({ client, tableName }: Table, group: string, owner: string, ttlMs: number, now: number, call: CallOptions = {}): Promise<LeaseGrant | undefined> {
  const expiresAt = now + ttlMs;
  try {
    const output = await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: str(groupKey(group)), sk: str(LEASE_SK) },
        // Free when never taken, released (no owner), expired, or already ours (a retried invocation).
        ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(#owner) OR #owner = :owner OR #expires <= :now',
        UpdateExpression: 'SET #owner = :owner, #expires = :expires, #token = if_not_exists(#token, :zero) + :one',
        ExpressionAttributeNames: { '#owner': 'owner', '#expires': 'leaseExpiresAt', '#token': 'token' },
        ExpressionAttributeValues: {
          ':owner': str(owner),
          ':now': num(now),
          ':expires': num(expiresAt),
          ':zero': num(0),
          ':one': num(1),
        },
        // The old image tells when the previous holder's lease ended, released or lapsed.
        ReturnValues: 'ALL_OLD',
      }),
      { abortSignal: call.signal },
    );
    const previous = output.Attributes ?? {};
    const previousOwner = readStr(previous, 'owner');
    const releasedAt = readNum(previous, 'releasedAt');
    const lastMoveAt = readNum(previous, 'lastMoveAt');
    const roster = readOptionalStrList(previous, 'roster');
    // A lease that lapsed (or that our own retried invocation still held) ended at its expiry or now,
    // whichever came first: its holder may have changed the world until then.
    const previousExpiry = readNum(previous, 'leaseExpiresAt');
    const endedAt = previousOwner === undefined ? releasedAt : previousExpiry === undefined ? undefined : Math.min(previousExpiry, now);
    return {
      group,
      owner,
      token: (readNum(previous, 'token') ?? 0) + 1,
      expiresAt,
      ...(endedAt === undefined ? {} : { previousReleasedAt: endedAt }),
      ...(previousOwner === undefined ? {} : { previousLapsed: true }),
      ...(lastMoveAt === undefined ? {} : { lastMoveAt }),
      ...(roster === undefined ? {} : { roster }),
    };
  } catch (error) {
    if (isAwsErrorCode(error, 'ConditionalCheckFailedException')) return undefined;
    throw toAwsCallError('UpdateItem', error, { tableName, group, owner });
  }
}

export async function release({ client, tableName }: Table, grant: LeaseGrant, now: number, recorded: LeaseUpdate = {}, call: CallOptions = {}): Promise<void> {
  const values: Item = { ':me': str(grant.owner), ':token': num(grant.token), ':now': num(now) };
  let update = 'REMOVE #owner SET releasedAt = :now, leaseExpiresAt = :now';
  if (recorded.movedAt !== undefined) {
    update += ', lastMoveAt = :movedAt';
    values[':movedAt'] = num(recorded.movedAt);
  }
  if (recorded.roster !== undefined) {
    update += ', roster = :roster';
    values[':roster'] = strList([...recorded.roster].sort());
  }
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: str(groupKey(grant.group)), sk: str(LEASE_SK) },
        // The token fences a holder whose lease lapsed and was re-granted, even to the same owner.
        ConditionExpression: '#owner = :me AND #token = :token',
        UpdateExpression: update,
        ExpressionAttributeNames: { '#owner': 'owner', '#token': 'token' },
        ExpressionAttributeValues: values,
      }),
      { abortSignal: call.signal },
    );
  } catch (error) {
    // The lease lapsed and someone else holds it now: theirs to release, not an error of ours.
    if (isAwsErrorCode(error, 'ConditionalCheckFailedException')) return;
    throw toAwsCallError('UpdateItem', error, { tableName, group: grant.group, owner: grant.owner });
  }
}

async function batchGet({ client, tableName, clock }: Table, keys: Item[], call: CallOptions): Promise<Item[]> {
  const items: Item[] = [];
  let unprocessed: Item[] = keys;
  for (let attempt = 0; attempt < BATCH_GET_ATTEMPTS && unprocessed.length > 0; attempt += 1) {
    if (attempt > 0) await clock.sleep(50 * 2 ** attempt * (0.5 + clock.random() / 2));
    const request = unprocessed;
    let output;
    try {
      output = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: { Keys: request, ProjectionExpression: 'pk, lastMoveAt, roster' },
          },
        }),
        { abortSignal: call.signal },
      );
    } catch (error) {
      throw toAwsCallError('BatchGetItem', error, { tableName });
    }
    items.push(...(output.Responses?.[tableName] ?? []));
    unprocessed = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
  }
  if (unprocessed.length > 0) {
    throw new AwsCallError('BatchGetItem', 'UnprocessedKeys', `${unprocessed.length} keys still unprocessed after ${BATCH_GET_ATTEMPTS} attempts`, {
      context: { tableName },
      retriable: true,
    });
  }
  return items;
}

export async function lastMoves(table: Table, groups: readonly string[], call: CallOptions = {}): Promise<Readonly<Record<string, GroupHistory>>> {
  const keys = [...new Set(groups)].map((group): Item => ({ pk: str(groupKey(group)), sk: str(LEASE_SK) }));
  const chunks: Item[][] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) chunks.push(keys.slice(start, start + BATCH_GET_LIMIT));
  const items = (await Promise.all(chunks.map((chunk) => batchGet(table, chunk, call)))).flat();
  const result: Record<string, GroupHistory> = {};
  for (const item of items) {
    const pk = readStr(item, 'pk');
    const lastMoveAt = readNum(item, 'lastMoveAt');
    const roster = readOptionalStrList(item, 'roster');
    if (pk === undefined || (lastMoveAt === undefined && roster === undefined)) continue;
    result[groupOfKey(pk)] = { ...(lastMoveAt === undefined ? {} : { lastMoveAt }), ...(roster === undefined ? {} : { roster }) };
  }
  return result;
}

export async function adoptRoster({ client, tableName }: Table, group: string, roster: readonly string[], call: CallOptions = {}): Promise<boolean> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: str(groupKey(group)), sk: str(LEASE_SK) },
        // Only the first roster: one recorded since (by a person, or a racing decider) stands.
        ConditionExpression: 'attribute_not_exists(roster)',
        UpdateExpression: 'SET roster = :roster',
        ExpressionAttributeValues: { ':roster': strList([...roster].sort()) },
      }),
      { abortSignal: call.signal },
    );
    return true;
  } catch (error) {
    if (isAwsErrorCode(error, 'ConditionalCheckFailedException')) return false;
    throw toAwsCallError('UpdateItem', error, { tableName, group });
  }
}
