/**
 * The on-event function's wiring: the core, Auto Scaling to finish lifecycle actions, and the
 * probe's last verdicts (the state table), so that an event never moves traffic onto a member the
 * probe judged down while EC2 still reports it ok.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { type LifecyclePort, createLifecyclePort } from '../aws/autoscaling.js';
import { createProbeStateStore } from '../aws/dynamo.js';
import type { CallOptions } from '../core/ports.js';
import type { ProbeVerdicts } from '../core/status.js';
import { probeVerdictsReader } from '../probe/view.js';
import { type Runtime, type RuntimeOptions, createRuntime } from '../runtime.js';

/** The core, plus Auto Scaling to finish lifecycle actions and the probe's verdicts. */
export type OnEventRuntime = Runtime & {
  readonly lifecycle: LifecyclePort;
  /** The probe's verdicts when it saved them recently; absent or undefined: health from EC2's view alone. */
  readonly probeVerdicts?: (options?: CallOptions) => Promise<ProbeVerdicts | undefined>;
};

export function createOnEventRuntime(options: RuntimeOptions, autoscaling: AutoScalingClient): OnEventRuntime {
  const rt = createRuntime(options);
  const state = createProbeStateStore(options.clients.dynamodb, rt.config.tableName);
  return Object.freeze({ ...rt, lifecycle: createLifecyclePort(autoscaling), probeVerdicts: probeVerdictsReader(state, rt.clock, rt.log) });
}
