/**
 * The controller, wired as the deployed functions wire themselves: functions/probe.ts and
 * functions/on-event.ts, over createRuntime, with only the AWS edge replaced (EC2, SSM and Auto
 * Scaling from the simulated world, DynamoDB on dynalite, the sensor Invoke to the lab's sensor,
 * the metrics' EMF lines recorded instead of logged). Everything that changes when the probe function's wiring changes is here.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createHandler as createFailoverHandler } from '../functions/failover.js';
import { createHandler as createOnEventHandler } from '../functions/on-event.js';
import { createOnEventRuntime } from '../shared/events/wiring.js';
import { createHandler as createProbeHandler } from '../functions/probe.js';
import type { Log } from '../shared/core/engine.js';
import type { Clock } from '../shared/core/ports.js';
import type { ProbeVerdicts } from '../shared/core/status.js';
import type { EventResult } from '../shared/events/handle.js';
import type { RunSummary } from '../shared/probe/loop.js';
import { type ProbeMemory, newMemory } from '../shared/probe/memory.js';
import type { NodeState } from '../shared/probe/verdicts.js';
import { createProbeRuntime } from '../shared/probe/wiring.js';
import { createFailoverRuntime } from '../shared/failover-wiring.js';
import type { VpcWorld } from '../sim/world.js';
import { type FunctionPlacement, type LabAlarm, localCloudWatch, localLambda } from './clients.js';
import type { SensorProcess } from './sensor.js';

export const SENSOR_FUNCTION = 'vpc-failover-lab-sensor';
/** serverless.yml: the probe and on-event functions' timeout, and the probe's schedule. */
export const FUNCTION_TIMEOUT_MS = 60_000;
export const SCHEDULE_MS = 60_000;
/** serverless.yml: the failover function's timeout (a drill runs in one invocation). */
export const FAILOVER_TIMEOUT_MS = 300_000;

export interface ControllerDeps {
  readonly world: VpcWorld;
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly sensor: SensorProcess;
  readonly clock: Clock;
  readonly log: Log;
  /** `address:port` endpoints the NATs must reach (the lab's echo server, never a public address). */
  readonly egress: readonly string[];
  /** The sensor fleet (as the sensorFleet param deploys it): each function's process, by name. */
  readonly fleet?: ReadonlyMap<string, SensorProcess>;
  /** Where each sensor function runs (its VpcConfig), main sensor included. */
  readonly placements?: ReadonlyMap<string, FunctionPlacement>;
  /** Told of every change of a node's probe state (verdict, failure streak, peers' opinion). */
  readonly onNodeState?: (instanceId: string, before: NodeState | undefined, after: NodeState) => void;
  /** Each EMF line the functions write (what CloudWatch would extract metrics from). */
  readonly onMetrics?: (line: string) => void;
  /** This deployment's CloudWatch alarms as DescribeAlarms shows them; none by default. */
  readonly alarms?: () => readonly LabAlarm[];
}

export interface Controller {
  /** One scheduled run of the probe function (57 s, or until the clock ends); `requestId` names the invocation. */
  probeRun(requestId?: string): Promise<RunSummary>;
  /** One EventBridge delivery to the on-event function. */
  deliver(event: unknown, requestId?: string): Promise<EventResult>;
  /** One manual invoke of the failover function (status, failover, failback, drill). */
  invoke(payload: unknown): Promise<unknown>;
  /** The probe's verdicts as the failover function reads them (saved in the state table at the end of each probe run). */
  probeVerdicts(): Promise<ProbeVerdicts | undefined>;
}

/** A Lambda context whose remaining time runs on `clock`. */
export function lambdaContext(name: string, requestId: string, clock: Clock, timeoutMs = FUNCTION_TIMEOUT_MS): Context {
  const deadline = clock.now() + timeoutMs;
  return {
    awsRequestId: requestId,
    functionName: `vpc-failover-lab-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:vpc-failover-lab-${name}`,
    memoryLimitInMB: '256',
    logGroupName: `/aws/lambda/vpc-failover-lab-${name}`,
    logStreamName: 'lab',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => deadline - clock.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The warm probe function's memory, reporting each node's state changes: the lab reads detection
 * from it (when a node's failures began, when it was judged down) without touching the loop.
 */
export function watchedMemory(onChange: (id: string, before: NodeState | undefined, after: NodeState) => void): ProbeMemory {
  class Watched extends Map<string, NodeState> {
    override set(id: string, state: NodeState): this {
      const before = this.get(id);
      super.set(id, state);
      if (before !== state) onChange(id, before, state);
      return this;
    }
  }
  return { ...newMemory(), states: new Watched() };
}

export function wireController(deps: ControllerDeps): Controller {
  const { world, clock, log } = deps;
  const { ec2, ssm, autoscaling } = world.clients();
  const core = { ec2, ssm, dynamodb: deps.dynamodb };
  // serverless.yml gives every function the table and the VPCs it may act in; the probe also gets
  // its sensor and egress endpoints.
  const common = { VPCF_TABLE_NAME: deps.tableName, VPCF_VPC_IDS: [...world.vpcs.keys()].join(',') };
  const fleet = deps.fleet ?? new Map<string, SensorProcess>();
  const probeEnv = {
    ...common,
    VPCF_SENSOR_FUNCTION: SENSOR_FUNCTION,
    VPCF_EGRESS_ENDPOINTS: deps.egress.join(','),
    ...(fleet.size > 0 ? { VPCF_SENSOR_FLEET: [...fleet.keys()].join(',') } : {}),
  };
  const lambda = localLambda((name, payload) => (fleet.get(name) ?? deps.sensor).invoke(payload), deps.placements);
  const writeMetrics = deps.onMetrics ?? (() => undefined);
  const probeRuntime = createProbeRuntime({ env: probeEnv, clients: { ...core, lambda }, clock, log, writeMetrics });
  const memory = watchedMemory(deps.onNodeState ?? (() => undefined));
  const probe = createProbeHandler(() => probeRuntime, memory);
  // As functions/on-event.ts wires itself: the core, Auto Scaling, and the probe's saved verdicts.
  const onEventRuntime = createOnEventRuntime({ env: common, clients: core, clock, log, writeMetrics }, autoscaling);
  const onEvent = createOnEventHandler(() => onEventRuntime);
  // The failover function has the sensor too (provider-level environment), and reads this deployment's alarms.
  const failoverEnv = { ...common, VPCF_SENSOR_FUNCTION: SENSOR_FUNCTION };
  const failoverRuntime = createFailoverRuntime({ env: failoverEnv, clients: { ...core, lambda }, clock, log, writeMetrics }, localCloudWatch(deps.alarms ?? (() => [])));
  const failover = createFailoverHandler(() => failoverRuntime);
  let runs = 0;
  let events = 0;
  let invokes = 0;
  return {
    probeRun: (requestId = `probe-${(runs += 1)}`) => probe({}, lambdaContext('probe', requestId, clock)) as Promise<RunSummary>,
    deliver: (event, requestId = `event-${(events += 1)}`) => onEvent(event, lambdaContext('onEvent', requestId, clock)),
    invoke: (payload) => failover(payload, lambdaContext('failover', `failover-${(invokes += 1)}`, clock, FAILOVER_TIMEOUT_MS)),
    probeVerdicts: () => failoverRuntime.probeVerdicts(),
  };
}

/**
 * Runs the probe function as its `rate(1 minute)` schedule does: a run at the start of every
 * minute, until the clock ends. The runs share the warm environment's memory.
 */
export async function probeSchedule(controller: Controller, clock: Clock & { readonly ended: boolean }, onRun?: (summary: RunSummary) => void): Promise<void> {
  while (!clock.ended) {
    const startedAt = clock.now();
    // Not `onRun?.(await …)`: an optional call skips evaluating its arguments when onRun is absent.
    const summary = await controller.probeRun();
    onRun?.(summary);
    await clock.sleep(startedAt + SCHEDULE_MS - clock.now());
  }
}
