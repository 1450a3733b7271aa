/**
 * The on-event function wired as in Lambda: the real handler over createRuntime, with VpcWorld's
 * clients, a real DynamoDB (dynalite on loopback, one fresh table per harness) and one manual clock.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createHandler } from '../../../functions/on-event.js';
import type { Log } from '../../../shared/core/engine.js';
import type { EventResult } from '../../../shared/events/handle.js';
import { tableDefinition } from '../../../shared/aws/dynamo.js';
import { createRuntime } from '../../../shared/runtime.js';
import type { DynaliteHandle } from '../../aws/support/dynalite.js';
import type { ManualClock } from '../../support/clock.js';
import type { VpcWorld } from '../../support/world.js';

export interface Line {
  readonly level: string;
  readonly message: string;
  readonly extra: Record<string, unknown>[];
}

export function memoryLog(): Log & { readonly lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => void lines.push({ level, message, extra });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

let tables = 0;
let requests = 0;

function context(requestId: string, remainingMs: number): Context {
  return {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => remainingMs,
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'vpc-failover-test-onEvent',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:vpc-failover-test-onEvent',
    memoryLimitInMB: '256',
    logGroupName: '/aws/lambda/vpc-failover-test-onEvent',
    logStreamName: 'test',
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface EventHarness {
  readonly log: ReturnType<typeof memoryLog>;
  /** Delivers one event as EventBridge would (an async Lambda invoke); each delivery is its own request. */
  deliver(event: unknown, remainingMs?: number): Promise<EventResult>;
}

export async function eventHarness(world: VpcWorld, clock: ManualClock, db: DynaliteHandle, env: Record<string, string> = {}): Promise<EventHarness> {
  const tableName = `vpcf-on-event-${process.pid}-${++tables}`;
  await db.client.send(new CreateTableCommand(tableDefinition(tableName)));
  const log = memoryLog();
  const runtime = createRuntime({ env: { VPCF_TABLE_NAME: tableName, ...env }, clients: { ...world.clients(), dynamodb: db.client }, clock, log });
  const handler = createHandler(() => runtime);
  return { log, deliver: (event, remainingMs = 60_000) => handler(event, context(`evt-${++requests}`, remainingMs)) };
}
