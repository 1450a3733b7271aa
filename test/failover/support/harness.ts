/**
 * The manual `failover` function wired as in Lambda, against an in-memory VPC (VpcWorld) and a
 * real DynamoDB (dynalite on loopback), with one manual clock shared by the world and the core.
 */
import { createDynamoStore, createProbeStateStore } from '../../../shared/aws/dynamo.js';
import { createSsmAgentPort } from '../../../shared/aws/ssm.js';
import { type FailoverRuntime, withProbeVerdicts } from '../../../shared/failover-wiring.js';
import type { JournalEntry } from '../../../shared/core/ports.js';
import type { Runtime } from '../../../shared/runtime.js';
import { createHandler } from '../../../functions/failover.js';
import type { DynaliteHandle } from '../../../sim/dynalite.js';
import { type ManualClock, manualClock } from '../../../sim/clock.js';
import { type MemoryLog, freshTable, lambdaContext, memoryLog, runtimeFor } from '../../support/harness.js';
import type { VpcWorld } from '../../../sim/world.js';

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
  const { runtime, log, tableName } = await runtimeFor(world, clock, db, { env });
  // doctor's reads (security groups, network ACLs, SSM registration) are beyond the in-memory VPC:
  // the handler's routing is checked here, the checks in test/doctor and on moto.
  const doctor: FailoverRuntime['doctor'] = async (query) => ({ region: 'sim', stage: 'test', deployed: true, deep: false, groups: [], blockers: 0, warnings: 0, text: `doctor ${JSON.stringify(query)}` });
  const handler = createHandler(() => withProbeVerdicts(runtime, createProbeStateStore(db.client, tableName), { agents: createSsmAgentPort(world.clients().ssm), doctor }));
  const store = createDynamoStore(db.client, tableName);
  return {
    runtime,
    log,
    tableName,
    invoke: (event, remainingMs) => handler(event, lambdaContext(`req-${++requests}`, remainingMs)),
    journal: (group) => store.recent(group, 50),
  };
}

export { type MemoryLog, freshTable, lambdaContext, manualClock, memoryLog };
