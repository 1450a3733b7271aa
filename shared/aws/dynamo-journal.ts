/**
 * The decision journal on the store's table: one item per entry under its group, newest first by
 * key, and across groups through the sparse `recent` index.
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Trigger } from '../core/model.js';
import type { CallOptions, DrillLeg, JournalEntry, RemediationStep } from '../core/ports.js';
import { type Item, JOURNAL_KIND, type Table, groupKey, num, readNum, readStr, readStrList, str, strList } from './dynamo-items.js';
import { toAwsCallError } from './translate.js';

export const RECENT_INDEX_NAME = 'recent';
/** The table's TTL attribute (epoch seconds). TTL is enabled with UpdateTimeToLive, not CreateTable. */
export const TTL_ATTRIBUTE_NAME = 'ttl';
/** Wide enough for any epoch-ms timestamp until the year 33658, so keys sort as numbers. */
const AT_DIGITS = 15;

export async function record({ client, tableName, clock, ttlSeconds }: Table, entry: JournalEntry, call: CallOptions = {}): Promise<string> {
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

export async function recent({ client, tableName }: Table, group: string | undefined, limit: number, call: CallOptions = {}): Promise<readonly JournalEntry[]> {
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
