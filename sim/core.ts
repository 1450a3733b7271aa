/**
 * The state of the in-memory VPC and the rules that hold whichever API reads it: which ENI holds
 * an address (and when that became visible), what a route's state is, where an Elastic IP is.
 * The API handlers (world-ec2/ssm/autoscaling.ts) and the public VpcWorld (world.ts) build on it.
 */
import type { InstanceState } from '../shared/core/model.js';
import { cidrContains, intToIp, ipv4ToInt, isIpv4, parseCidr } from '../shared/core/validate.js';
import { ec2Error, notFound } from './errors.js';
import { ChangeFeed } from './changes.js';
import type { ScriptExecutor } from './ssm.js';

/** The one thing the world needs from a clock. `vi.useFakeTimers()` fakes `Date.now`, which the default uses. */
export interface WorldClock {
  now(): number;
}

/** A status check as DescribeInstanceStatus reports it. */
export type CheckStatus = 'ok' | 'impaired' | 'initializing' | 'insufficient-data';

export interface VpcWorldOptions {
  /** Defaults to `Date.now`. */
  readonly clock?: WorldClock;
  readonly region?: string;
  readonly accountId?: string;
  /**
   * Largest page the paginated Describe* calls return when no explicit IDs are given, whatever
   * MaxResults says. Small by default so that an adapter that ignores NextToken misses resources.
   */
  readonly pageSize?: number;
  /** How long an Assign/UnassignPrivateIpAddresses takes to show in Describe* (ms of world clock). */
  readonly assignDelayMs?: number;
  /**
   * How long the instance calls take, in world time: StopInstances to `stopped` (a hung OS takes
   * `hungStopMs` unless forced), StartInstances to `running`, its status checks to `ok`,
   * TerminateInstances to `terminated`, and RebootInstances until the OS answers again.
   */
  readonly lifecycle?: { readonly stopMs?: number; readonly hungStopMs?: number; readonly startMs?: number; readonly statusMs?: number; readonly terminateMs?: number; readonly rebootMs?: number };
  readonly ssm?: {
    /** How many GetCommandInvocation polls fail with InvocationDoesNotExist after SendCommand. */
    readonly notFoundPolls?: number;
    /** How long an invocation stays InProgress before its script has run (ms of world clock). */
    readonly executionDelayMs?: number;
    /**
     * SendCommand to an instance that is not running: `undeliverable` accepts it and reports the
     * invocation Failed/Undeliverable; `invalid-instance-id` rejects the call as SSM does for
     * instances it does not consider managed and online.
     */
    readonly nonRunning?: 'undeliverable' | 'invalid-instance-id';
    /** Runs delivered scripts for real (InProgress until settled) instead of the handlers; absent by default. */
    readonly executor?: ScriptExecutor;
  };
}

export interface ResolvedOptions {
  readonly lifecycle: { readonly stopMs: number; readonly hungStopMs: number; readonly startMs: number; readonly statusMs: number; readonly terminateMs: number; readonly rebootMs: number };
  readonly region: string;
  readonly accountId: string;
  readonly pageSize: number;
  readonly assignDelayMs: number;
  readonly ssm: {
    readonly notFoundPolls: number;
    readonly executionDelayMs: number;
    readonly nonRunning: 'undeliverable' | 'invalid-instance-id';
    readonly executor: ScriptExecutor | undefined;
  };
}

export type Tags = Record<string, string>;

export interface VpcRec {
  readonly id: string;
  readonly cidr: string;
  tags: Tags;
}

export interface SubnetRec {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: string;
  readonly az: string;
  tags: Tags;
}

export interface Attachment {
  readonly attachmentId: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  readonly deleteOnTermination: boolean;
  readonly attachTime: Date;
}

export interface EniRec {
  readonly id: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly az: string;
  readonly mac: string;
  readonly primaryIp: string;
  sourceDestCheck: boolean;
  attachment: Attachment | undefined;
  tags: Tags;
  /** What made it, as EC2 shows it: `aws-K8S-…` for an EKS pod's ENI; '' by default. */
  readonly description: string;
  /** `interface` by default; `branch` for an EKS pod's ENI (security groups for pods), etc. */
  readonly interfaceType: string;
  /** Managed by an AWS service (a load balancer, a NAT gateway). */
  readonly requesterManaged: boolean;
}

export interface InstanceRec {
  readonly id: string;
  readonly reservationId: string;
  readonly az: string;
  readonly vpcId: string;
  readonly subnetId: string;
  /** When it was last started (EC2 updates LaunchTime on every start). */
  launchTime: Date;
  state: InstanceState;
  /** How it was bought: a Spot instance carries its request (its type decides whether it can be stopped). */
  spot: { readonly requestId: string; readonly type: 'one-time' | 'persistent' } | undefined;
  rootDeviceType: 'ebs' | 'instance-store';
  /** DescribeInstances' StateReason, once a transition set one. */
  stateReason: { readonly code: string; readonly message: string } | undefined;
  /** Fault: this many next starts fall back to `stopped` with this reason (an EBS volume under a KMS key the caller may not use). */
  startFallbacks: { remaining: number; readonly code: string; readonly message: string } | undefined;
  tags: Tags;
  instanceCheck: CheckStatus;
  systemCheck: CheckStatus;
  /** Running and reported healthy, but nothing reaches it: no SSM delivery, no probe answer. */
  hung: boolean;
  /** What `ip addr` shows: per interface MAC, address -> prefix length. */
  readonly os: Map<string, Map<string, number>>;
}

export type RouteTargetRec =
  | { readonly kind: 'eni'; readonly networkInterfaceId: string }
  | { readonly kind: 'gateway'; readonly gatewayId: string }
  | { readonly kind: 'nat-gateway'; readonly natGatewayId: string };

/** A NAT gateway: zonal (in one subnet) or regional (no subnet, one ID for every AZ of its VPC). */
export interface NatGatewayRec {
  readonly id: string;
  readonly vpcId: string;
  readonly mode: 'zonal' | 'regional';
  readonly connectivity: 'public' | 'private';
  /** Zonal only. */
  readonly subnetId?: string;
  state: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';
  tags: Tags;
}

export interface RouteRec {
  /** The CIDR or prefix-list ID as EC2 shows it. */
  readonly destination: string;
  /** Which destination field it is (sim/destinations.ts); absent means an IPv4 CIDR. */
  readonly destinationKind?: 'ipv6' | 'prefix-list';
  target: RouteTargetRec;
  readonly origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RtbRec {
  readonly id: string;
  readonly vpcId: string;
  tags: Tags;
  readonly routes: RouteRec[];
  readonly associations: { readonly id: string; readonly subnetId?: string; readonly main: boolean }[];
}

export interface EipAssociation {
  readonly associationId: string;
  networkInterfaceId: string;
  readonly privateIp: string;
}

export interface EipRec {
  readonly allocationId: string;
  readonly publicIp: string;
  tags: Tags;
  association: EipAssociation | undefined;
}

/** From `at` on, Describe* shows the secondary address on `eni` (or on none). */
interface IpEntry {
  readonly at: number;
  readonly eni: string | undefined;
}

export interface InvocationResult {
  readonly status: 'Success' | 'Failed' | 'TimedOut';
  readonly details: 'Success' | 'Failed' | 'Undeliverable' | 'DeliveryTimedOut' | 'ExecutionTimedOut';
  readonly responseCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly startAt?: number;
  readonly endAt: number;
}

export interface InvocationRec {
  readonly commandId: string;
  readonly instanceId: string;
  readonly comment: string;
  readonly commands: readonly string[];
  readonly sentAt: number;
  readonly dueAt: number;
  readonly deliveryDeadline: number;
  readonly executionTimeoutMs: number;
  polls: number;
  /** When an executor started running the script (world clock); the result comes when it settles. */
  startedAt?: number;
  /** Set once the script ran (or delivery failed); visible from `result.endAt` on. */
  result: InvocationResult | undefined;
}

export interface LifecycleActionRec {
  readonly token: string;
  readonly asg: string;
  readonly hook: string;
  readonly instanceId: string;
  readonly transition: string;
  readonly startedAt: number;
  readonly timeoutAt: number;
  readonly defaultResult: 'CONTINUE' | 'ABANDON';
  completed: { readonly result: 'CONTINUE' | 'ABANDON'; readonly at: number; readonly by: 'api' | 'timeout' } | undefined;
}

/** Per EC2: instance state codes. */
export const STATE_CODES: Readonly<Record<InstanceState, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export { intToIp };

export function tagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** First usable host, last usable host: AWS reserves the first four addresses and the last. */
export function subnetHostRange(cidr: string): { first: number; last: number; size: number } {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`VpcWorld: bad CIDR ${cidr}`);
  const size = 2 ** (32 - parsed.prefixLength);
  const base = Math.floor(ipv4ToInt(parsed.base) / size) * size;
  return { first: base + 4, last: base + size - 2, size };
}

const ID_PATTERN = /^[0-9a-f]{8}([0-9a-f]{9})?$/;

/** The world's state and rules; it reports its changes as a ChangeFeed (sim/changes.ts). */
export class WorldCore extends ChangeFeed {
  readonly options: ResolvedOptions;
  readonly clock: WorldClock;
  readonly vpcs = new Map<string, VpcRec>();
  readonly subnets = new Map<string, SubnetRec>();
  readonly instances = new Map<string, InstanceRec>();
  readonly enis = new Map<string, EniRec>();
  readonly routeTables = new Map<string, RtbRec>();
  readonly eips = new Map<string, EipRec>();
  readonly natGateways = new Map<string, NatGatewayRec>();
  readonly invocations = new Map<string, InvocationRec>();
  /** Instance state changes an API call asked for, each done at its time by `settle()`. */
  readonly transitions: { readonly instanceId: string; readonly at: number; readonly apply: () => void }[] = [];
  readonly lifecycleActions = new Map<string, LifecycleActionRec>();
  /** Members Auto Scaling replaced (TerminateInstanceInAutoScalingGroup without decrementing): the old and the fresh instance. */
  readonly replacements: { readonly terminated: string; readonly launched: string; readonly group: string }[] = [];
  /**
   * Faults that change how the world answers rather than what it holds (sim/faults.ts sets them):
   * extra lag before Describe* shows an address move, extra delay before SSM delivers to an
   * instance, instances SSM cannot deliver to although they run.
   */
  readonly impairments: { describeLagMs: number; readonly ssmDelayMs: Map<string, number>; readonly ssmUndeliverable: Set<string> } = {
    describeLagMs: 0,
    ssmDelayMs: new Map(),
    ssmUndeliverable: new Set(),
  };
  /** Secondary private IPs only: primaries never move. */
  private readonly ipTimeline = new Map<string, IpEntry[]>();
  private readonly counters = new Map<string, number>();

  constructor(options: VpcWorldOptions = {}) {
    super();
    this.clock = options.clock ?? { now: () => Date.now() };
    this.options = {
      region: options.region ?? 'us-east-1',
      accountId: options.accountId ?? '123456789012',
      pageSize: options.pageSize ?? 3,
      assignDelayMs: options.assignDelayMs ?? 1000,
      lifecycle: { stopMs: 10_000, hungStopMs: 600_000, startMs: 15_000, statusMs: 60_000, terminateMs: 10_000, rebootMs: 30_000, ...options.lifecycle },
      ssm: {
        notFoundPolls: options.ssm?.notFoundPolls ?? 1,
        executionDelayMs: options.ssm?.executionDelayMs ?? 500,
        nonRunning: options.ssm?.nonRunning ?? 'undeliverable',
        executor: options.ssm?.executor,
      },
    };
  }

  /** The world's time (epoch ms) from the injected clock. */
  now(): number {
    return this.clock.now();
  }

  private bump(key: string): number {
    const next = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, next);
    return next;
  }

  /** `i-00000000000000001`: the prefix and 17 hex digits, counted per prefix. */
  nextId(prefix: string): string {
    return `${prefix}-${this.bump(prefix).toString(16).padStart(17, '0')}`;
  }

  nextUuid(kind: string): string {
    const n = this.bump(`uuid:${kind}`);
    const tag = [...kind].reduce((acc, ch) => (acc * 31 + ch.charCodeAt(0)) % 0xffff, 7);
    return `${n.toString(16).padStart(8, '0')}-${tag.toString(16).padStart(4, '0')}-4000-8000-${n.toString(16).padStart(12, '0')}`;
  }

  nextMac(): string {
    const n = this.bump('mac');
    const bytes = [2, 0, Math.floor(n / 2 ** 24) % 256, Math.floor(n / 65536) % 256, Math.floor(n / 256) % 256, n % 256];
    return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
  }

  // ---- lookups that fail the way EC2 does ----

  /** Throws `<Code>.Malformed` for IDs that are not `prefix-` plus 8 or 17 hex digits. */
  checkIdFormat(id: string, prefix: string, code: string): void {
    const ok = id.startsWith(`${prefix}-`) && ID_PATTERN.test(id.slice(prefix.length + 1));
    if (!ok) throw ec2Error(`${code}.Malformed`, `Invalid id: "${id}"`);
  }

  instance(id: string): InstanceRec {
    this.checkIdFormat(id, 'i', 'InvalidInstanceID');
    const rec = this.instances.get(id);
    if (!rec) throw notFound('InvalidInstanceID.NotFound', 'instance', [id]);
    return rec;
  }

  eni(id: string): EniRec {
    this.checkIdFormat(id, 'eni', 'InvalidNetworkInterfaceID');
    const rec = this.enis.get(id);
    if (!rec) throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', [id]);
    return rec;
  }

  subnet(id: string): SubnetRec {
    this.checkIdFormat(id, 'subnet', 'InvalidSubnetID');
    const rec = this.subnets.get(id);
    if (!rec) throw notFound('InvalidSubnetID.NotFound', 'subnet', [id]);
    return rec;
  }

  routeTable(id: string): RtbRec {
    this.checkIdFormat(id, 'rtb', 'InvalidRouteTableID');
    const rec = this.routeTables.get(id);
    if (!rec) throw notFound('InvalidRouteTableID.NotFound', 'routeTable', [id]);
    return rec;
  }

  eip(allocationId: string): EipRec {
    this.checkIdFormat(allocationId, 'eipalloc', 'InvalidAllocationID');
    const rec = this.eips.get(allocationId);
    if (!rec) throw notFound('InvalidAllocationID.NotFound', 'allocation', [allocationId]);
    return rec;
  }

  /** Looks every ID up and reports all the missing ones in one error, as EC2 does. */
  requireAll<T>(ids: readonly string[], get: (id: string) => T | undefined, prefix: string, code: string, noun: string): T[] {
    for (const id of ids) this.checkIdFormat(id, prefix, code);
    const missing = ids.filter((id) => get(id) === undefined);
    if (missing.length > 0) throw notFound(`${code}.NotFound`, noun, missing);
    return [...new Set(ids)].map((id) => get(id) as T);
  }

  // ---- interfaces and addresses ----

  /** ENIs attached to the instance, primary first. */
  enisOf(instanceId: string): EniRec[] {
    return [...this.enis.values()]
      .filter((eni) => eni.attachment?.instanceId === instanceId)
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
  }

  primaryEni(instanceId: string): EniRec | undefined {
    return this.enisOf(instanceId).find((eni) => eni.attachment?.deviceIndex === 0);
  }

  /** The ENI holding a secondary address: the truth, or what Describe* shows right now. */
  secondaryHolder(ip: string, view: 'truth' | 'visible'): string | undefined {
    const entries = this.ipTimeline.get(ip);
    if (!entries || entries.length === 0) return undefined;
    if (view === 'truth') return entries[entries.length - 1]?.eni;
    const now = this.now();
    let holder: string | undefined;
    for (const entry of entries) if (entry.at <= now) holder = entry.eni;
    return holder;
  }

  secondariesOf(eniId: string, view: 'truth' | 'visible'): string[] {
    return [...this.ipTimeline.keys()]
      .filter((ip) => this.secondaryHolder(ip, view) === eniId)
      .sort((a, b) => ipv4ToInt(a) - ipv4ToInt(b));
  }

  /** How long an address move takes to show in Describe*: the configured delay plus any injected lag. */
  visibilityDelayMs(): number {
    return this.options.assignDelayMs + this.impairments.describeLagMs;
  }

  /** Whether any Describe* still shows an older holder of the address than the truth. */
  ipMovePending(ip: string): boolean {
    return this.secondaryHolder(ip, 'truth') !== this.secondaryHolder(ip, 'visible');
  }

  /** Records a secondary address move; Describe* shows it after `delayMs`. Elastic IPs on it follow. */
  setSecondaryHolder(ip: string, eniId: string | undefined, delayMs: number): void {
    const previous = this.secondaryHolder(ip, 'truth');
    const entries = this.ipTimeline.get(ip) ?? [];
    const at = this.now() + delayMs;
    const effectiveAt = Math.max(at, entries[entries.length - 1]?.at ?? at);
    entries.push({ at: effectiveAt, eni: eniId });
    this.ipTimeline.set(ip, entries);
    for (const eip of this.eips.values()) {
      if (eip.association?.privateIp !== ip || eip.association.networkInterfaceId !== previous) continue;
      if (eniId === undefined) eip.association = undefined;
      else eip.association.networkInterfaceId = eniId;
    }
    this.emitChange({ kind: 'secondary-ip', ip, from: previous, to: eniId, effectiveAt });
  }

  primaryOwner(ip: string): EniRec | undefined {
    return [...this.enis.values()].find((eni) => eni.primaryIp === ip);
  }

  /** Every address in use in the subnet (primaries and the truth of secondaries). */
  usedIps(subnetId: string): Set<string> {
    const used = new Set<string>();
    for (const eni of this.enis.values()) {
      if (eni.subnetId !== subnetId) continue;
      used.add(eni.primaryIp);
      for (const ip of this.secondariesOf(eni.id, 'truth')) used.add(ip);
    }
    return used;
  }

  /** Why an address cannot live in the subnet, or undefined if it can. */
  addressProblem(subnet: SubnetRec, ip: string): string | undefined {
    if (!isIpv4(ip)) return `Invalid private IP address '${ip}'`;
    if (!cidrContains(subnet.cidr, ip)) return `Address ${ip} does not fall within the subnet's address range`;
    const { first, last } = subnetHostRange(subnet.cidr);
    const value = ipv4ToInt(ip);
    if (value < first || value > last) return `Address ${ip} is reserved by AWS in subnet ${subnet.id}`;
    return undefined;
  }

  freeIp(subnetId: string): string {
    const subnet = this.subnet(subnetId);
    const used = this.usedIps(subnetId);
    const { first, last } = subnetHostRange(subnet.cidr);
    for (let value = Math.min(first + 6, last); value <= last; value += 1) {
      const ip = intToIp(value);
      if (!used.has(ip)) return ip;
    }
    for (let value = first; value <= last; value += 1) {
      const ip = intToIp(value);
      if (!used.has(ip)) return ip;
    }
    throw ec2Error('InsufficientFreeAddressesInSubnet', `The specified subnet ${subnetId} does not have enough free addresses`);
  }

  // ---- Elastic IPs and routes ----

  /** Where the Elastic IP is associated as Describe* shows it: it follows a moving secondary address lazily. */
  eipView(eip: EipRec): { associationId: string; networkInterfaceId: string; privateIp: string; instanceId?: string } | undefined {
    const association = eip.association;
    if (!association) return undefined;
    let eniId = association.networkInterfaceId;
    if (this.ipTimeline.has(association.privateIp)) eniId = this.secondaryHolder(association.privateIp, 'visible') ?? eniId;
    const instanceId = this.enis.get(eniId)?.attachment?.instanceId;
    return {
      associationId: association.associationId,
      networkInterfaceId: eniId,
      privateIp: association.privateIp,
      ...(instanceId === undefined ? {} : { instanceId }),
    };
  }

  eipsOn(eniId: string, privateIp: string): EipRec[] {
    return [...this.eips.values()].filter((eip) => {
      const view = this.eipView(eip);
      return view?.networkInterfaceId === eniId && view.privateIp === privateIp;
    });
  }

  /** A route to an ENI whose instance is not running, or that is detached or gone, is a blackhole. */
  routeState(route: RouteRec): 'active' | 'blackhole' {
    // A route to a NAT gateway that is gone (deleted, failed) is a blackhole, as EC2 shows it.
    if (route.target.kind === 'nat-gateway') {
      const state = this.natGateways.get(route.target.natGatewayId)?.state;
      return state === 'deleted' || state === 'failed' ? 'blackhole' : 'active';
    }
    if (route.target.kind !== 'eni') return 'active';
    const eni = this.enis.get(route.target.networkInterfaceId);
    if (!eni?.attachment) return 'blackhole';
    return this.instances.get(eni.attachment.instanceId)?.state === 'running' ? 'active' : 'blackhole';
  }

  // ---- the OS of each instance ----

  /** What DHCP configures at boot: each attached interface's primary address with the subnet prefix. */
  bootOs(instance: InstanceRec): void {
    instance.os.clear();
    for (const eni of this.enisOf(instance.id)) this.osAddInterface(instance, eni);
  }

  osAddInterface(instance: InstanceRec, eni: EniRec): void {
    const prefix = parseCidr(this.subnet(eni.subnetId).cidr)?.prefixLength ?? 24;
    instance.os.set(eni.mac, new Map([[eni.primaryIp, prefix]]));
  }

  /** `eth<device index>`, for script output. */
  deviceName(instanceId: string, mac: string): string | undefined {
    const eni = this.enisOf(instanceId).find((candidate) => candidate.mac === mac);
    return eni?.attachment ? `eth${eni.attachment.deviceIndex}` : undefined;
  }

  /** An instance the network and SSM can reach. */
  reachable(instanceId: string): boolean {
    const instance = this.instances.get(instanceId);
    return instance !== undefined && instance.state === 'running' && !instance.hung;
  }

  // ---- time-driven changes ----

  /** Runs what the clock made due: SSM scripts, lifecycle heartbeat timeouts. Idempotent. */
  settle(): void {
    const now = this.now();
    const ready = this.transitions.filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
    for (const t of ready) {
      this.transitions.splice(this.transitions.indexOf(t), 1);
      t.apply();
    }
    for (const action of this.lifecycleActions.values()) {
      if (!action.completed && now >= action.timeoutAt) {
        action.completed = { result: action.defaultResult, at: action.timeoutAt, by: 'timeout' };
      }
    }
    const due = [...this.invocations.values()].filter((inv) => inv.result === undefined && inv.startedAt === undefined && inv.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
    for (const invocation of due) this.deliver(invocation, now);
  }

  /** Overridden by the SSM layer: delivers the invocation if it can. */
  protected deliver(_invocation: InvocationRec, _now: number): void {}
}
