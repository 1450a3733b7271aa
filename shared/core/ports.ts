/**
 * The small interfaces the core depends on. `shared/aws` implements them with injected SDK v3 clients;
 * tests implement them with an in-memory world.
 */
import type { Action, ElasticIp, GroupKind, RouteTable, Trigger, WorldSnapshot } from './model.js';

/** Readback of the resources a plan touched, used to verify it took effect. */
export interface ReadBack {
  /** Private IPv4 addresses per ENI, as DescribeNetworkInterfaces reports them now. */
  readonly interfaces: Readonly<Record<string, readonly string[]>>;
  readonly routeTables: readonly RouteTable[];
  readonly addresses: readonly ElasticIp[];
}

export interface ReadBackQuery {
  readonly networkInterfaceIds: readonly string[];
  readonly routeTableIds: readonly string[];
  readonly allocationIds: readonly string[];
}

/** What the EC2 port applies. Terminating goes through Auto Scaling instead (RemediationPort). */
export type Ec2Action = Exclude<Action, { type: 'activate-ip' | 'deactivate-ip' | 'terminate-instance' }>;
export type HostAction = Extract<Action, { type: 'activate-ip' | 'deactivate-ip' }>;

/**
 * Per-call options every port takes. `signal` aborts the AWS calls still in flight (the SDK v3
 * `abortSignal`): a Lambda run that reaches its deadline stops waiting instead of timing out.
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Which instances carry the group tag, and in which group, as of `at`. */
export interface Enrollment {
  readonly at: number;
  /** Instance ID to the group tag's value (as tagged, possibly empty). */
  readonly groups: ReadonlyMap<string, string>;
}

/** EC2: one batched read of the world, the switch calls, and a narrow readback. */
export interface Ec2Port {
  /** One batch of Describe* calls for every group at once. Throws ObserveError. */
  observe(options?: CallOptions): Promise<WorldSnapshot>;
  /**
   * The enrolled instances: from the last read while it is at most `maxAgeMs` old, else one read
   * of the instances by their tag. Throws ObserveError; never answers "not enrolled" for "could not see".
   */
  enrollment(maxAgeMs: number, options?: CallOptions): Promise<Enrollment>;
  /** Sends one EC2 mutation. Throws AwsCallError; already-in-state counts as success. */
  apply(action: Ec2Action, options?: CallOptions): Promise<void>;
  readBack(query: ReadBackQuery, options?: CallOptions): Promise<ReadBack>;
}

/** The result of a shell script run on one instance. */
export interface HostResult {
  readonly instanceId: string;
  readonly status: 'success' | 'failed' | 'timed-out' | 'undeliverable';
  readonly exitCode?: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A shell script built from validated values only (see `shared/core/scripts.ts`). */
export interface HostScript {
  readonly name: string;
  readonly lines: readonly string[];
}

/** A script sent to instances and not read back yet: plain data, so a later run can read it. */
export interface PendingCommand {
  /** When it was sent (epoch ms). */
  readonly sentAt: number;
  readonly commands: readonly { readonly commandId: string; readonly instanceIds: readonly string[] }[];
  /** Instances the service would not send it to (not managed): their result is `undeliverable`. */
  readonly refused: readonly string[];
}

/** Runs shell on instances (SSM Run Command, AWS-RunShellScript). */
export interface HostPort {
  /** Runs the script on the instances (any number) and waits until `deadline` (epoch ms) at the latest. */
  run(instanceIds: readonly string[], script: HostScript, deadline: number, options?: CallOptions): Promise<readonly HostResult[]>;
  /** Sends the script and returns without waiting for it. */
  start(instanceIds: readonly string[], script: HostScript, options?: CallOptions): Promise<PendingCommand>;
  /** Reads back what `start` sent, polling until every invocation ended or `deadline`; unfinished ones are `timed-out`. */
  collect(command: PendingCommand, deadline: number, options?: CallOptions): Promise<readonly HostResult[]>;
}

/**
 * Whether an instance's SSM agent is reachable, as SSM last heard from it (DescribeInstanceInformation's
 * PingStatus): `online`; `connection-lost` (no ping for a while: the instance is stopped, or has no
 * path to SSM, such as a dead NAT in front of a private subnet without endpoints); `inactive`; or
 * `not-registered` (SSM does not list it: no agent, no instance profile, never reached SSM).
 */
export type SsmPing = 'online' | 'connection-lost' | 'inactive' | 'not-registered';

/** Reads the SSM agents' registration and ping status. */
export interface SsmAgentPort {
  /** One entry per instance asked about. Throws AwsCallError when SSM cannot be asked. */
  pingStatus(instanceIds: readonly string[], options?: CallOptions): Promise<ReadonlyMap<string, SsmPing>>;
}

/** What a previous holder left behind when the lease was won. */
export interface LeaseGrant {
  readonly group: string;
  readonly owner: string;
  readonly token: number;
  readonly expiresAt: number;
  /** When the previous holder's lease ended (epoch ms): its release, or its expiry if it lapsed. Absent for a first grant. */
  readonly previousReleasedAt?: number;
  /**
   * The previous holder never released its lease: it was killed or ran out of time, perhaps between
   * a switch call and the release that records the move. It may have moved the group until
   * `previousReleasedAt`.
   */
  readonly previousLapsed?: boolean;
  /** When the group last moved (epoch ms), for the cooldown. */
  readonly lastMoveAt?: number;
  /** The group's confirmed members (its roster) as last recorded; absent while none was ever recorded. */
  readonly roster?: readonly string[];
}

/**
 * What a group's lease item remembers between decisions: its last move, for the cooldown, and its
 * roster: the instance IDs confirmed as members (at the first decision, or by a person's `failback`
 * or `failover --to`). A member not on the roster is a newcomer: never a failback target, never remediated.
 */
export interface GroupHistory {
  readonly lastMoveAt?: number;
  readonly roster?: readonly string[];
}

/** What a release records besides freeing the lease. */
export interface LeaseUpdate {
  /** When the group moved under this lease (epoch ms). */
  readonly movedAt?: number;
  /** The roster to keep from now on. */
  readonly roster?: readonly string[];
}

/** Serializes decisions per group across functions and invocations. */
export interface LeasePort {
  /** Returns the grant, or undefined when another owner holds an unexpired lease. */
  tryAcquire(group: string, owner: string, ttlMs: number, now: number, options?: CallOptions): Promise<LeaseGrant | undefined>;
  /** Releases the lease if still ours; records the move and the roster given. */
  release(grant: LeaseGrant, now: number, update?: LeaseUpdate, options?: CallOptions): Promise<void>;
  /** Last move and roster per group (groups with neither are absent), without taking the lease: for planning and status. */
  lastMoves(groups: readonly string[], options?: CallOptions): Promise<Readonly<Record<string, GroupHistory>>>;
  /**
   * Records `roster` as the group's first roster, only if it has none (trust on first observation).
   * Returns true if it was recorded, false if the group had one already.
   */
  adoptRoster(group: string, roster: readonly string[], options?: CallOptions): Promise<boolean>;
}

export interface JournalEntry {
  readonly group: string;
  readonly at: number;
  readonly trigger: Trigger;
  /** A move of traffic (absent: entries written before there were other kinds), an OS-side repair, remediation of a failed node, or a drill (its legs' moves are journaled as moves too). */
  readonly kind?: 'move' | 'repair' | 'remediation' | 'drill';
  readonly reason: string;
  readonly from?: string;
  readonly to?: string;
  readonly actions: readonly string[];
  readonly outcome: 'applied' | 'partial' | 'failed';
  readonly durationMs: number;
  readonly error?: string;
  /** Remediation entries: the step taken on the instance in `from`. A stop-start is carried on from these. */
  readonly step?: RemediationStep;
  /** Moves: the group's members (instance IDs) when it moved; `newcomers`: those of them not confirmed. */
  readonly members?: readonly string[];
  readonly newcomers?: readonly string[];
  /** Drill entries: each leg's figures. */
  readonly legs?: readonly DrillLeg[];
}

/**
 * One leg of a drill: a planned move (`out`), the move back (`back`), or the move that put the group
 * back after a failed leg (`put-back`). Times are ms from the leg's start; absent when it never happened.
 */
export interface DrillLeg {
  readonly leg: 'out' | 'back' | 'put-back';
  readonly from?: string;
  readonly to?: string;
  /** The engine's outcome of the move (`changed`, `partial`, `refused`, ...). */
  readonly outcome: string;
  /** Until the switch call (AssignPrivateIpAddresses, AssociateAddress, ReplaceRoute) returned. */
  readonly switchMs?: number;
  /** Until the sensor first reached the address after the switch call returned. */
  readonly answeredMs?: number;
  /** The longest stretch the sensor saw the address not answer: from a failed check to the next answered one. */
  readonly maxGapMs?: number;
  /** Sensor checks made during the leg (answered, failed). */
  readonly checks?: { readonly answered: number; readonly failed: number };
}

/** One step of remediating a failed member. `started` confirms a stop-start done: running and passing. */
export type RemediationStep = 'reboot' | 'stop' | 'force-stop' | 'start' | 'started' | 'terminate';

/** What remediation needs beyond the EC2 port: Spot request types, and replacing an Auto Scaling member. */
export interface RemediationPort {
  /**
   * The type of each Spot request (DescribeSpotInstanceRequests), by request ID; a request EC2 no
   * longer reports is absent. Throws AwsCallError.
   */
  spotRequestTypes(requestIds: readonly string[], options?: CallOptions): Promise<Readonly<Record<string, 'one-time' | 'persistent'>>>;
  /**
   * Terminates the instance through its Auto Scaling group without lowering the desired capacity,
   * so the group launches a replacement (TerminateInstanceInAutoScalingGroup). Throws AwsCallError.
   */
  replaceInAutoScalingGroup(instanceId: string, options?: CallOptions): Promise<void>;
}

export interface JournalPort {
  /** Returns the entry's key in the journal, for notifications and operators to refer to. */
  record(entry: JournalEntry, options?: CallOptions): Promise<string>;
  /** Newest first. Without a group: the newest entries across all groups, in one query. */
  recent(group: string | undefined, limit: number, options?: CallOptions): Promise<readonly JournalEntry[]>;
}

/** One decision told to people: a subject that reads at a glance, a body, and the facts as data. */
export interface Notice {
  readonly subject: string;
  readonly message: string;
  readonly group: string;
  readonly kind: GroupKind | 'unknown';
  readonly outcome: string;
  readonly trigger: Trigger;
}

/** Tells people (SNS). A notice that cannot be delivered must never fail or delay what it reports. */
export interface NotifierPort {
  notify(notice: Notice, options?: CallOptions): Promise<void>;
}

/** Reaches an address from inside the VPC (the sensor), to verify that a moved VIP answers. */
export interface DataPlanePort {
  /** `ok`: every port answered; `fail`: some port did not; `unknown`: could not try. */
  reach(target: { readonly id: string; readonly ip: string; readonly ports: readonly number[] }, options?: CallOptions): Promise<'ok' | 'fail' | 'unknown'>;
}

/** This deployment's CloudWatch alarms (DescribeAlarms). */
export interface AlarmPort {
  /** Names of the metric and composite alarms whose name starts with `prefix` and whose state is ALARM. Throws AwsCallError. */
  firing(prefix: string, options?: CallOptions): Promise<readonly string[]>;
}

export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/** One CloudWatch datum. `values` carries many samples of one metric in one datum. */
export interface MetricDatum {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value?: number;
  readonly values?: readonly number[];
  /** Epoch ms. */
  readonly timestamp: number;
}

/** Sends metrics (through the log, in the embedded metric format: no request, no request charge). */
export interface MetricsPort {
  put(data: readonly MetricDatum[], options?: CallOptions): Promise<void>;
}

/** Time and randomness, injected so the core is deterministic under test. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};
