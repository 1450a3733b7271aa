/**
 * What the scenario harnesses share: a runtime wired as createRuntime wires it in Lambda, over a
 * VpcWorld's clients, a real DynamoDB (dynalite on loopback, one fresh table each) and the world's
 * clock; a Lambda context; logs that keep quiet; a CloudWatch client whose calls are recorded.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { tableDefinition } from '../../shared/aws/dynamo.js';
import type { Log } from '../../shared/core/engine.js';
import type { Clock, MetricDatum, MetricsPort } from '../../shared/core/ports.js';
import { type CoreClients, type Runtime, createRuntime } from '../../shared/runtime.js';
import type { DynaliteHandle } from '../../sim/dynalite.js';
import type { VpcWorld } from '../../sim/world.js';

/** Dummy credentials: the clients never leave the process (their `send` is mocked or aims at loopback). */
export const testClientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIAHARNESSTEST00000', secretAccessKey: 'not-a-secret' },
} as const;

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly extra: Record<string, unknown>[];
}

/** A log that keeps what it was told, so tests stay quiet and can look at warnings. */
export interface MemoryLog extends Log {
  readonly lines: LogLine[];
}

export function memoryLog(): MemoryLog {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => void lines.push({ level, message, extra });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A log that drops everything, for long simulations where keeping lines would only cost memory. */
export const quietLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

let tables = 0;

/** A fresh table on the shared dynalite, so tests never see each other's leases or journal. */
export async function freshTable(db: DynaliteHandle, prefix = 'vpcf-scenario'): Promise<string> {
  const name = `${prefix}-${process.pid}-${++tables}`;
  await db.client.send(new CreateTableCommand(tableDefinition(name)));
  return name;
}

/** A Lambda context with the fields the handlers read, named after `functionName` (the serverless.yml key). */
export function lambdaContext(requestId: string, remainingMs = 60_000, functionName = 'failover'): Context {
  const name = `vpc-failover-test-${functionName}`;
  return {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => remainingMs,
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '256',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'test',
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface WiredRuntime {
  readonly runtime: Runtime;
  readonly log: MemoryLog;
  readonly tableName: string;
  /** The settings the runtime was built from, and its clients, for wiring a function's extras on top. */
  readonly env: Record<string, string>;
  readonly clients: CoreClients;
  /** The EMF lines the runtime wrote. */
  readonly emf: EmfSink;
}

export interface RuntimeOptions {
  /** VPCF_* settings on top of VPCF_TABLE_NAME. */
  readonly env?: Record<string, string>;
  /** Prefix of the fresh table's name. */
  readonly tablePrefix?: string;
}

/** createRuntime over `world`'s clients (the world must use `clock`), `db` and a fresh table, logging to memory. */
export async function runtimeFor(world: VpcWorld, clock: Clock, db: DynaliteHandle, options: RuntimeOptions = {}): Promise<WiredRuntime> {
  const tableName = await freshTable(db, options.tablePrefix);
  const log = memoryLog();
  const env = { VPCF_TABLE_NAME: tableName, ...options.env };
  const { ec2, ssm } = world.clients();
  const clients: CoreClients = { ec2, ssm, dynamodb: db.client };
  const emf = emfSink();
  return { runtime: createRuntime({ env, clients, clock, log, writeMetrics: emf.write }), log, tableName, env, clients, emf };
}

/** A metrics port that keeps every batch it is given, for the loop's own tests. */
export interface RecordedMetrics extends MetricsPort {
  readonly batches: MetricDatum[][];
  /** Every datum of one metric, in order. */
  datums(name: string): MetricDatum[];
}

export function recordedMetrics(): RecordedMetrics {
  const batches: MetricDatum[][] = [];
  return {
    batches,
    datums: (name) => batches.flat().filter((d) => d.name === name),
    async put(data) {
      batches.push([...data]);
    },
  };
}

/** Where a runtime's EMF lines go in a test: parsed, in order. */
export interface EmfSink {
  readonly documents: Record<string, unknown>[];
  write(line: string): void;
  /** The values of one metric across every document, flattened. */
  values(name: string): number[];
}

export function emfSink(): EmfSink {
  const documents: Record<string, unknown>[] = [];
  return {
    documents,
    write: (line) => void documents.push(JSON.parse(line) as Record<string, unknown>),
    values: (name) => documents.flatMap((d) => (name in d ? [d[name]].flat() : [])) as number[],
  };
}
