/**
 * The failover function's wiring: the core, and the probe's last verdicts (for status, failover and
 * failback), read from the state table so that a hung member whose EC2 checks pass is not taken for healthy, and the
 * members' SSM agents, so that a group whose members SSM cannot reach says so.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createAlarmPort } from './aws/cloudwatch.js';
import { createDoctorReads } from './aws/doctor-reads.js';
import { createProbeStateStore } from './aws/dynamo.js';
import { createSsmAgentPort } from './aws/ssm.js';
import { diagnose } from './doctor/diagnose.js';
import { gatherFacts } from './doctor/gather.js';
import type { DoctorReport } from './doctor/model.js';
import { renderReport } from './doctor/report.js';
import type { AlarmPort, CallOptions, SsmAgentPort } from './core/ports.js';
import type { ProbeVerdicts } from './core/status.js';
import type { ProbeStatePort } from './probe/memory.js';
import { probeVerdictsReader } from './probe/view.js';
import { type Runtime, type RuntimeOptions, createRuntime } from './runtime.js';

export interface FailoverRuntime extends Runtime {
  /** The probe's verdicts when it saved them recently; undefined otherwise, and when they cannot be read. */
  probeVerdicts(options?: CallOptions): Promise<ProbeVerdicts | undefined>;
  /** The members' SSM agents (ssm:DescribeInstanceInformation), for status; absent: status says nothing of SSM. */
  readonly agents?: SsmAgentPort;
  /** This deployment's alarms (cloudwatch:DescribeAlarms), for a drill's preflight; absent: a drill refuses. */
  readonly alarms?: AlarmPort;
  /** doctor, read-only, as this deployment sees the account: its vpcIds, its sensor. */
  doctor(query: { readonly group?: string; readonly vpc?: string }, options?: CallOptions): Promise<DoctorReport & { readonly text: string }>;
}

/** What the failover function reads beyond the core; each is optional, and a test wires only what it exercises. */
export interface FailoverExtras {
  readonly agents?: SsmAgentPort;
  readonly alarms?: AlarmPort;
  readonly doctor?: FailoverRuntime['doctor'];
}

export function withProbeVerdicts(rt: Runtime, state: ProbeStatePort, { agents, alarms, doctor = unavailableDoctor }: FailoverExtras = {}): FailoverRuntime {
  return Object.freeze({
    ...rt,
    ...(agents ? { agents } : {}),
    ...(alarms ? { alarms } : {}),
    doctor,
    // Without the probe's view the decision and status stand on EC2's: a failed read only leaves it out, and says so.
    probeVerdicts: probeVerdictsReader(state, rt.clock, rt.log),
  });
}

const unavailableDoctor: FailoverRuntime['doctor'] = () => Promise.reject(new Error('doctor is not wired in this runtime'));

export function createFailoverRuntime(options: RuntimeOptions, cloudwatch?: CloudWatchClient): FailoverRuntime {
  const rt = createRuntime(options);
  return withProbeVerdicts(rt, createProbeStateStore(options.clients.dynamodb, rt.config.tableName), {
    agents: createSsmAgentPort(options.clients.ssm),
    ...(cloudwatch ? { alarms: createAlarmPort(cloudwatch) } : {}),
    doctor: deployedDoctor(rt, options.clients),
  });
}

/** doctor as the deployed function runs it: this deployment's vpcIds, Region and sensor. */
function deployedDoctor(rt: Runtime, { ec2, ssm, lambda }: RuntimeOptions['clients']): FailoverRuntime['doctor'] {
  return async (query, call = {}) => {
    const { config } = rt;
    const facts = await gatherFacts(
      {
        region: await ec2.config.region(),
        stage: config.stage,
        ec2: rt.ec2Port,
        reads: createDoctorReads({ ec2, ssm, ...(lambda ? { lambda } : {}) }),
        deployment: { ...(config.vpcIds ? { vpcIds: config.vpcIds } : {}), ...(config.probe.sensorFunction ? { sensorFunction: config.probe.sensorFunction } : {}) },
      },
      call,
    );
    const defaults = { cooldownMs: config.cooldownMs, failback: config.failback, ...(config.region ? { region: config.region } : {}) };
    const report = diagnose(facts, { defaults, ...(query.group ? { group: query.group } : {}), ...(query.vpc ? { vpcId: query.vpc } : {}) });
    return { ...report, text: renderReport(report) };
  };
}
