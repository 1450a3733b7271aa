/**
 * The failover function's wiring: the core, and for `status` the probe's last verdicts, read from
 * the state table so that a hung member whose EC2 checks pass does not show as healthy, and the
 * members' SSM agents, so that a group whose members SSM cannot reach says so.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createAlarmPort } from './aws/cloudwatch.js';
import { createProbeStateStore } from './aws/dynamo.js';
import { createSsmAgentPort } from './aws/ssm.js';
import type { AlarmPort, CallOptions, SsmAgentPort } from './core/ports.js';
import type { ProbeVerdicts } from './core/status.js';
import { STATE_MAX_AGE_MS } from './probe/loop.js';
import { type ProbeStatePort, probeView } from './probe/memory.js';
import { type Runtime, type RuntimeOptions, createRuntime } from './runtime.js';

export interface FailoverRuntime extends Runtime {
  /** The probe's verdicts when it saved them recently; undefined otherwise, and when they cannot be read. */
  probeVerdicts(options?: CallOptions): Promise<ProbeVerdicts | undefined>;
  /** The members' SSM agents (ssm:DescribeInstanceInformation), for status; absent: status says nothing of SSM. */
  readonly agents?: SsmAgentPort;
  /** This deployment's alarms (cloudwatch:DescribeAlarms), for a drill's preflight; absent: a drill refuses. */
  readonly alarms?: AlarmPort;
}

export function withProbeVerdicts(rt: Runtime, state: ProbeStatePort, agents?: SsmAgentPort, alarms?: AlarmPort): FailoverRuntime {
  return Object.freeze({
    ...rt,
    ...(agents ? { agents } : {}),
    ...(alarms ? { alarms } : {}),
    async probeVerdicts(options: CallOptions = {}) {
      // Status without the probe's view is still status: a failed read only leaves it out, and says so.
      const stored = await state.load(options).catch((error: unknown) => {
        rt.log.warn('probe verdicts not read; status shows EC2 only', { error: String(error) });
        return undefined;
      });
      return probeView(stored, rt.clock.now(), STATE_MAX_AGE_MS);
    },
  });
}

export function createFailoverRuntime(options: RuntimeOptions, cloudwatch?: CloudWatchClient): FailoverRuntime {
  const rt = createRuntime(options);
  return withProbeVerdicts(rt, createProbeStateStore(options.clients.dynamodb, rt.config.tableName), createSsmAgentPort(options.clients.ssm), cloudwatch ? createAlarmPort(cloudwatch) : undefined);
}
