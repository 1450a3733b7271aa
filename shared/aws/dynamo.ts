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
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { AwsCallError } from '../errors.js';
import type { Trigger } from '../core/model.js';
import type { ProbeStatePort, StoredProbeState } from '../probe/memory.js';
import {
  systemClock,
  type CallOptions,
  type Clock,
  type GroupHistory,
  type JournalEntry,
  type JournalPort,
  type LeaseGrant,
  type LeasePort,
  type LeaseUpdate,
  type DrillLeg,
  type RemediationStep,
} from '../core/ports.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

export interface DynamoStoreOptions {
  /** Journal entries expire this many days after `at`. Default 90. */
  readonly journalTtlDays?: number;
  /** Backoff sleeps and journal key suffixes. Default `systemClock`. */
  readonly clock?: Clock;
}

export const RECENT_INDEX_NAME = 'recent';
/** The table's TTL attribute (epoch seconds). TTL is enabled with UpdateTimeToLive, not CreateTable. */
export const TTL_ATTRIBUTE_NAME = 'ttl';
const JOURNAL_KIND = 'journal';
const LEASE_SK = 'lease';
/** BatchGetItem reads at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
/** Attempts for keys BatchGetItem leaves unprocessed (throttled partitions) before giving up. */
const BATCH_GET_ATTEMPTS = 5;
/** Wide enough for any epoch-ms timestamp until the year 33658, so keys sort as numbers. */
const AT_DIGITS = 15;

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

// --- marshalling -------------------------------------------------------------------------------

type Item = Record<string, AttributeValue>;

const str = (value: string): AttributeValue => ({ S: value });
const num = (value: number): AttributeValue => {
  if (!Number.isFinite(value)) throw new RangeError(`cannot store non-finite number ${value}`);
  return { N: String(value) };
};
const strList = (values: readonly string[]): AttributeValue => ({ L: values.map(str) });

function readStr(item: Item, name: string): string | undefined {
  const value = item[name];
  return value !== undefined && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

function readNum(item: Item, name: string): number | undefined {
  const value = item[name];
  if (value === undefined || !('N' in value) || typeof value.N !== 'string') return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A list attribute of strings, or undefined when the item has none (as opposed to an empty list). */
function readOptionalStrList(item: Item, name: string): string[] | undefined {
  return item[name] === undefined ? undefined : readStrList(item, name);
}

function readStrList(item: Item, name: string): string[] {
  const value = item[name];
  if (value === undefined || !('L' in value) || !Array.isArray(value.L)) return [];
  return value.L.flatMap((element) => ('S' in element && typeof element.S === 'string' ? [element.S] : []));
}

const groupKey = (group: string): string => `group#${group}`;
const groupOfKey = (pk: string): string => pk.slice('group#'.length);

const TRIGGERS: ReadonlySet<string> = new Set<Trigger>(['manual', 'probe', 'event', 'schedule']);
const OUTCOMES: ReadonlySet<string> = new Set<JournalEntry['outcome']>(['applied', 'partial', 'failed']);
const STEPS: ReadonlySet<string> = new Set<RemediationStep>(['reboot', 'stop', 'force-stop', 'start', 'started', 'terminate']);

function toJournalEntry(item: Item): JournalEntry | undefined {
  const group = readStr(item, 'group');
  const at = readNum(item, 'at');
  const trigger = readStr(item, 'trigger');
  const outcome = readStr(item, 'outcome');
  if (group === undefined || at === undefined || trigger === undefined || outcome === undefined) return undefined;
  if (!TRIGGERS.has(trigger) || !OUTCOMES.has(outcome)) return undefined;
  const from = readStr(item, 'from');
  const to = readStr(item, 'to');
  const error = readStr(item, 'error');
  const kind = readStr(item, 'entryKind');
  const step = readStr(item, 'remediationStep');
  return {
    group,
    at,
    trigger: trigger as Trigger,
    reason: readStr(item, 'reason') ?? '',
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    actions: readStrList(item, 'actions'),
    outcome: outcome as JournalEntry['outcome'],
    durationMs: readNum(item, 'durationMs') ?? 0,
    ...(error === undefined ? {} : { error }),
    ...(kind === 'move' || kind === 'repair' || kind === 'remediation' || kind === 'drill' ? { kind } : {}),
    ...(step !== undefined && STEPS.has(step) ? { step: step as RemediationStep } : {}),
    ...(item['members'] === undefined ? {} : { members: readStrList(item, 'members') }),
    ...(item['newcomers'] === undefined ? {} : { newcomers: readStrList(item, 'newcomers') }),
    ...legsOf(readStr(item, 'drillLegs')),
  };
}

const LEGS: ReadonlySet<string> = new Set<DrillLeg['leg']>(['out', 'back', 'put-back']);

/** A drill's legs, stored as JSON text: only what has the shape of a leg is read back. */
function legsOf(text: string | undefined): { legs?: DrillLeg[] } {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!Array.isArray(parsed)) return {};
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const textOf = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const legs = parsed.flatMap((raw: unknown): DrillLeg[] => {
    if (typeof raw !== 'object' || raw === null) return [];
    const r = raw as Record<string, unknown>;
    const leg = textOf(r['leg']);
    const outcome = textOf(r['outcome']);
    if (leg === undefined || !LEGS.has(leg) || outcome === undefined) return [];
    const checks = r['checks'] as Record<string, unknown> | undefined;
    const answered = number(checks?.['answered']);
    const failed = number(checks?.['failed']);
    const fields = { from: textOf(r['from']), to: textOf(r['to']), switchMs: number(r['switchMs']), answeredMs: number(r['answeredMs']), maxGapMs: number(r['maxGapMs']) };
    return [
      {
        leg: leg as DrillLeg['leg'],
        outcome,
        ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
        ...(answered !== undefined && failed !== undefined ? { checks: { answered, failed } } : {}),
      },
    ];
  });
  return { legs };
}

// --- the store ---------------------------------------------------------------------------------

/**
 * Creates the lease and journal store over an injected low-level DynamoDB client.
 * All writes are single conditional UpdateItem/PutItem calls, so the lease is safe under
 * concurrent acquirers in different Lambda invocations.
 */
export function createDynamoStore(client: DynamoDBClient, tableName: string, options: DynamoStoreOptions = {}): LeasePort & JournalPort {
  const ttlSeconds = Math.round((options.journalTtlDays ?? 90) * 86_400);
  const clock = options.clock ?? systemClock;

  async function tryAcquire(group: string, owner: string, ttlMs: number, now: number, call: CallOptions = {}): Promise<LeaseGrant | undefined> {
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

  async function release(grant: LeaseGrant, now: number, recorded: LeaseUpdate = {}, call: CallOptions = {}): Promise<void> {
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

  async function batchGet(keys: Item[], call: CallOptions): Promise<Item[]> {
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

  async function lastMoves(groups: readonly string[], call: CallOptions = {}): Promise<Readonly<Record<string, GroupHistory>>> {
    const keys = [...new Set(groups)].map((group): Item => ({ pk: str(groupKey(group)), sk: str(LEASE_SK) }));
    const chunks: Item[][] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) chunks.push(keys.slice(start, start + BATCH_GET_LIMIT));
    const items = (await Promise.all(chunks.map((chunk) => batchGet(chunk, call)))).flat();
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

  async function adoptRoster(group: string, roster: readonly string[], call: CallOptions = {}): Promise<boolean> {
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

  async function record(entry: JournalEntry, call: CallOptions = {}): Promise<string> {
    const suffix = Math.floor(clock.random() * 36 ** 8)
      .toString(36)
      .padStart(8, '0');
    const sk = `journal#${String(Math.max(0, Math.trunc(entry.at))).padStart(AT_DIGITS, '0')}#${suffix}`;
    const item: Item = {
      pk: str(groupKey(entry.group)),
      sk: str(sk),
      kind: str(JOURNAL_KIND),
      at: num(entry.at),
      group: str(entry.group),
      trigger: str(entry.trigger),
      reason: str(entry.reason),
      actions: strList(entry.actions),
      outcome: str(entry.outcome),
      durationMs: num(entry.durationMs),
      [TTL_ATTRIBUTE_NAME]: num(Math.floor(entry.at / 1000) + ttlSeconds),
    };
    if (entry.from !== undefined) item['from'] = str(entry.from);
    if (entry.to !== undefined) item['to'] = str(entry.to);
    if (entry.error !== undefined) item['error'] = str(entry.error);
    if (entry.kind !== undefined) item['entryKind'] = str(entry.kind);
    if (entry.step !== undefined) item['remediationStep'] = str(entry.step);
    if (entry.members !== undefined) item['members'] = strList(entry.members);
    if (entry.newcomers !== undefined) item['newcomers'] = strList(entry.newcomers);
    if (entry.legs !== undefined) item['drillLegs'] = str(JSON.stringify(entry.legs));
    try {
      await client.send(new PutItemCommand({ TableName: tableName, Item: item }), { abortSignal: call.signal });
    } catch (error) {
      throw toAwsCallError('PutItem', error, { tableName, group: entry.group });
    }
    return `${groupKey(entry.group)}/${sk}`;
  }

  async function recent(group: string | undefined, limit: number, call: CallOptions = {}): Promise<readonly JournalEntry[]> {
    if (limit < 1) return [];
    const query =
      group === undefined
        ? new QueryCommand({
            TableName: tableName,
            IndexName: RECENT_INDEX_NAME,
            KeyConditionExpression: '#kind = :kind',
            ExpressionAttributeNames: { '#kind': 'kind' },
            ExpressionAttributeValues: { ':kind': str(JOURNAL_KIND) },
            ScanIndexForward: false,
            Limit: Math.floor(limit),
          })
        : new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': str(groupKey(group)), ':prefix': str('journal#') },
            ScanIndexForward: false,
            Limit: Math.floor(limit),
          });
    try {
      const output = await client.send(query, { abortSignal: call.signal });
      return (output.Items ?? []).map(toJournalEntry).filter((entry) => entry !== undefined);
    } catch (error) {
      throw toAwsCallError('Query', error, { tableName, ...(group === undefined ? {} : { group }) });
    }
  }

  return { tryAcquire, release, lastMoves, adoptRoster, record, recent };
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
