/**
 * DynamoDB adapter for the per-group lease and the decision journal, on one table.
 *
 * Layout (single table, low-level client, attribute values marshalled by hand):
 * - lease:   pk `group#<name>`, sk `lease`; owner (S, absent when free), token (N, +1 per grant),
 *            leaseExpiresAt (N), releasedAt (N), lastMoveAt (N), roster (L of S: the confirmed
 *            members). Lease items carry no `kind`, so the `recent` index stays sparse.
 * - journal: pk `group#<name>`, sk `journal#<at, 15 digits>#<random>`, kind `journal`, at (N),
 *            the JournalEntry fields (members and newcomers as L of S), ttl (N, epoch seconds).
 * - GSI `recent`: kind (S) / at (N), projection ALL: the newest entries across all groups.
 * - probe state: pk `probe#state`, sk `state`; runStartedAt (N), savedAt (N), state (S, JSON).
 *   The journal entry's own kind (move, repair, remediation) is `entryKind`: `kind` keys the index.
 */
import { GetItemCommand, PutItemCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AwsCallError } from '../errors.js';
import type { ProbeStatePort, StoredProbeState } from '../probe/memory.js';
import { systemClock, type CallOptions, type Clock, type JournalPort, type LeasePort } from '../core/ports.js';
import { type Table, num, readStr, str } from './dynamo-items.js';
import { RECENT_INDEX_NAME, recent, record } from './dynamo-journal.js';
import { adoptRoster, lastMoves, release, tryAcquire } from './dynamo-lease.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

export { RECENT_INDEX_NAME, TTL_ATTRIBUTE_NAME } from './dynamo-journal.js';

export interface DynamoStoreOptions {
  /** Journal entries expire this many days after `at`. Default 90. */
  readonly journalTtlDays?: number;
  /** Backoff sleeps and journal key suffixes. Default `systemClock`. */
  readonly clock?: Clock;
}

/** The table the store expects; serverless.yml mirrors it, tests create it from here. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'kind', AttributeType: 'S' },
      { AttributeName: 'at', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: RECENT_INDEX_NAME,
        KeySchema: [
          { AttributeName: 'kind', KeyType: 'HASH' },
          { AttributeName: 'at', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/**
 * Creates the lease and journal store over an injected low-level DynamoDB client.
 * All writes are single conditional UpdateItem/PutItem calls, so the lease is safe under
 * concurrent acquirers in different Lambda invocations.
 */
export function createDynamoStore(client: DynamoDBClient, tableName: string, options: DynamoStoreOptions = {}): LeasePort & JournalPort {
  const table: Table = { client, tableName, clock: options.clock ?? systemClock, ttlSeconds: Math.round((options.journalTtlDays ?? 90) * 86_400) };
  return {
    tryAcquire: (group, owner, ttlMs, now, call) => tryAcquire(table, group, owner, ttlMs, now, call),
    release: (grant, now, recorded, call) => release(table, grant, now, recorded, call),
    lastMoves: (groups, call) => lastMoves(table, groups, call),
    adoptRoster: (group, roster, call) => adoptRoster(table, group, roster, call),
    record: (entry, call) => record(table, entry, call),
    recent: (group, limit, call) => recent(table, group, limit, call),
  };
}

const PROBE_STATE_KEY = { pk: str('probe#state'), sk: str('state') };

/**
 * The probe's state between runs, as one item of the same table: read at a cold start, written at
 * the end of each run unless a run that started later has written already.
 */
export function createProbeStateStore(client: DynamoDBClient, tableName: string): ProbeStatePort {
  return {
    async load(call: CallOptions = {}) {
      let output;
      try {
        output = await client.send(new GetItemCommand({ TableName: tableName, Key: PROBE_STATE_KEY, ConsistentRead: true }), { abortSignal: call.signal });
      } catch (error) {
        throw toAwsCallError('GetItem', error, { tableName, item: 'probe#state' });
      }
      const text = output.Item ? readStr(output.Item, 'state') : undefined;
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as StoredProbeState;
      } catch (error) {
        throw new AwsCallError('GetItem', 'MalformedItem', 'the stored probe state is not JSON', { context: { tableName }, cause: error });
      }
    },
    async save(state: StoredProbeState, call: CallOptions = {}) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...PROBE_STATE_KEY, runStartedAt: num(state.runStartedAt), savedAt: num(state.savedAt), state: str(JSON.stringify(state)) },
            ConditionExpression: 'attribute_not_exists(pk) OR runStartedAt <= :mine',
            ExpressionAttributeValues: { ':mine': num(state.runStartedAt) },
          }),
          { abortSignal: call.signal },
        );
      } catch (error) {
        // A run that started later saved first: its state is the newer one.
        if (isAwsErrorCode(error, 'ConditionalCheckFailedException')) return;
        throw toAwsCallError('PutItem', error, { tableName, item: 'probe#state' });
      }
    },
  };
}
