/**
 * The manual `failover` function wired as in Lambda, against an in-memory VPC (VpcWorld) and a
 * real DynamoDB (dynalite on loopback), with one manual clock shared by the world and the core.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createDynamoStore, tableDefinition } from '../../../shared/aws/dynamo.js';
import type { Log } from '../../../shared/core/engine.js';
import type { JournalEntry } from '../../../shared/core/ports.js';
import { type Runtime, createRuntime } from '../../../shared/runtime.js';
import { createHandler } from '../../../functions/failover.js';
import type { DynaliteHandle } from '../../aws/support/dynalite.js';
import { type ManualClock, manualClock } from '../../support/clock.js';
import type { VpcWorld } from '../../support/world.js';

/** A log that keeps what it was told, so tests stay quiet and can look at warnings. */
export interface MemoryLog extends Log {
  readonly lines: { level: string; message: string; extra: Record<string, unknown>[] }[];
}

export function memoryLog(): MemoryLog {
  const lines: MemoryLog['lines'] = [];
  const at = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => void lines.push({ level, message, extra });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

let tables = 0;

/** A fresh table on the shared dynalite, so tests never see each other's leases or journal. */
export async function freshTable(db: DynaliteHandle): Promise<string> {
  const name = `vpcf-scenario-${process.pid}-${++tables}`;
  await db.client.send(new CreateTableCommand(tableDefinition(name)));
  return name;
}

/** A Lambda context with the two fields the handler reads. */
export function lambdaContext(requestId: string, remainingMs = 60_000): Context {
  return {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => remainingMs,
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'vpc-failover-test-failover',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:vpc-failover-test-failover',
    memoryLimitInMB: '256',
    logGroupName: '/aws/lambda/vpc-failover-test-failover',
    logStreamName: 'test',
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface Harness {
  readonly runtime: Runtime;
  readonly log: MemoryLog;
  readonly tableName: string;
  /** Invokes the handler as Lambda would; each call gets its own request ID (its own lease owner). */
  invoke(event: unknown, remainingMs?: number): Promise<unknown>;
  /** The journal as the store has it, newest first. */
  journal(group?: string): Promise<readonly JournalEntry[]>;
}

let requests = 0;

/** Builds the runtime and handler over `world` (which must use `clock`) and a fresh table. */
export async function harness(
  world: VpcWorld,
  clock: ManualClock,
  db: DynaliteHandle,
  env: Record<string, string> = {},
): Promise<Harness> {
  const tableName = await freshTable(db);
  const log = memoryLog();
  const runtime = createRuntime({
    env: { VPCF_TABLE_NAME: tableName, ...env },
    clients: { ...world.clients(), dynamodb: db.client },
    clock,
    log,
  });
  const handler = createHandler(() => runtime);
  const store = createDynamoStore(db.client, tableName);
  return {
    runtime,
    log,
    tableName,
    invoke: (event, remainingMs) => handler(event, lambdaContext(`req-${++requests}`, remainingMs)),
    journal: (group) => store.recent(group, 50),
  };
}

export { manualClock };
