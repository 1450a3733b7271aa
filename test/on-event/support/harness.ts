/**
 * The on-event function wired as in Lambda: the real handler over createRuntime and the probe's
 * verdicts from the state table, with VpcWorld's clients, a real DynamoDB (dynalite on loopback, one fresh table per harness) and one manual clock.
 */
import { createHandler } from '../../../functions/on-event.js';
import { createLifecyclePort } from '../../../shared/aws/autoscaling.js';
import { createProbeStateStore } from '../../../shared/aws/dynamo.js';
import { probeVerdictsReader } from '../../../shared/probe/view.js';
import type { EventResult } from '../../../shared/events/handle.js';
import type { DynaliteHandle } from '../../../sim/dynalite.js';
import type { ManualClock } from '../../../sim/clock.js';
import { type LogLine as Line, type MemoryLog, lambdaContext, memoryLog, runtimeFor } from '../../support/harness.js';
import type { VpcWorld } from '../../../sim/world.js';

let requests = 0;

export interface EventHarness {
  readonly log: MemoryLog;
  /** The lease, journal and probe-state table. */
  readonly tableName: string;
  /** Delivers one event as EventBridge would (an async Lambda invoke); each delivery is its own request. */
  deliver(event: unknown, remainingMs?: number): Promise<EventResult>;
}

export async function eventHarness(world: VpcWorld, clock: ManualClock, db: DynaliteHandle, env: Record<string, string> = {}): Promise<EventHarness> {
  const { runtime, log, tableName } = await runtimeFor(world, clock, db, { env, tablePrefix: 'vpcf-on-event' });
  // As createOnEventRuntime wires it: the probe's verdicts from the same table.
  const probeVerdicts = probeVerdictsReader(createProbeStateStore(db.client, tableName), clock, log);
  const wired = { ...runtime, lifecycle: createLifecyclePort(world.clients().autoscaling), probeVerdicts };
  const handler = createHandler(() => wired);
  return { log, tableName, deliver: (event, remainingMs = 60_000) => handler(event, lambdaContext(`evt-${++requests}`, remainingMs, 'onEvent')) };
}

export { type Line, memoryLog };
