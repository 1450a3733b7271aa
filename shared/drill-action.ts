/**
 * The failover function's `drill` action: the drill core (core/drill.ts) over the function's
 * engine adapters, the probe's saved verdicts, this deployment's alarms and the sensor.
 */
import { type DrillReport, runDrill } from './core/drill.js';
import type { FailoverRuntime } from './failover-wiring.js';
import type { Budget } from './runtime.js';

/** The longest stay on the standby a drill may ask for: both legs and the stay fit in the function's 300 s. */
export const MAX_BACK_AFTER_SECONDS = 180;

export interface DrillPayload {
  readonly group: string;
  readonly backAfterSeconds?: number;
  readonly stay?: boolean;
}

/** This deployment's alarms are named `vpc-failover-<stage>-…` (serverless.yml). */
export const alarmPrefixOf = (stage: string): string => `vpc-failover-${stage}-`;

export function drillAction(rt: FailoverRuntime, payload: DrillPayload, owner: string, budget: Budget): Promise<DrillReport> {
  const call = { signal: budget.signal };
  const engine = rt.engineDeps(owner);
  return runDrill(
    {
      engine,
      probes: () => rt.probeVerdicts(call),
      alarms: rt.alarms ?? { firing: () => Promise.reject(new Error('this function has no CloudWatch client to read the alarms with')) },
      alarmPrefix: alarmPrefixOf(rt.config.stage),
      ...(engine.dataPlane ? { sensor: engine.dataPlane } : {}),
    },
    {
      group: payload.group,
      ...(payload.backAfterSeconds === undefined ? {} : { backAfterMs: payload.backAfterSeconds * 1000 }),
      ...(payload.stay ? { stay: true } : {}),
      deadline: budget.deadline,
      signal: budget.signal,
      settle: budget.settle,
    },
  );
}
