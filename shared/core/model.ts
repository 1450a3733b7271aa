/**
 * The observed world and the plans the core makes from it. Everything here is plain data:
 * adapters build it from AWS responses, `decide()` reads it, tests write it by hand.
 */

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** EC2 status checks as DescribeInstanceStatus reports them, folded to what the core needs. */
export type StatusChecks = 'ok' | 'impaired' | 'initializing' | 'unknown';

/** A private IPv4 on an ENI. */
export interface PrivateIp {
  readonly address: string;
  readonly primary: boolean;
}

export interface NetworkInterface {
  readonly networkInterfaceId: string;
  readonly deviceIndex: number;
  /** The network card the ENI is attached through; absent means card 0 (most instance types have one). */
  readonly networkCardIndex?: number;
  readonly subnetId: string;
  readonly macAddress: string;
  readonly sourceDestCheck: boolean;
  readonly privateIps: readonly PrivateIp[];
}

/**
 * How an instance was bought, from DescribeInstances `InstanceLifecycle` (absent there: on-demand).
 * `other`: a value the controller does not know how to stop safely (scheduled, an interruptible
 * capacity reservation, anything newer).
 */
export type InstanceLifecycle = 'on-demand' | 'spot' | 'capacity-block' | 'other';

/** Why the instance last changed state (DescribeInstances `StateReason`), e.g. `Client.InternalError`. */
export interface StateReason {
  readonly code: string;
  readonly message: string;
}

export interface Instance {
  readonly instanceId: string;
  readonly state: InstanceState;
  /** Absent: not reported (hand-built snapshots); read as on-demand. */
  readonly lifecycle?: InstanceLifecycle;
  /** The Spot request that launched it (Spot instances only). */
  readonly spotInstanceRequestId?: string;
  /** Absent: not reported; read as `ebs`, which every instance type but a few old ones uses. */
  readonly rootDeviceType?: 'ebs' | 'instance-store';
  /** The Auto Scaling group that launched it: its `aws:autoscaling:groupName` tag, which only AWS can set. */
  readonly autoScalingGroup?: string;
  /** Set when EC2 reports one: why a start fell back to `stopped`, say. */
  readonly stateReason?: StateReason;
  /** When it was last started (DescribeInstances `LaunchTime`, epoch ms): a stop-start is followed from here. */
  readonly launchedAt?: number;
  readonly availabilityZone: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly privateIp: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Sorted by device index; index 0 is the primary ENI. */
  readonly networkInterfaces: readonly NetworkInterface[];
}

/** Where a route sends its traffic. Built from the fields DescribeRouteTables fills, never from an ID prefix. */
export type RouteTarget =
  | { readonly kind: 'eni'; readonly networkInterfaceId: string; readonly instanceId?: string }
  | { readonly kind: 'instance'; readonly instanceId: string }
  /** DescribeRouteTables' `NatGatewayId`. */
  | { readonly kind: 'nat-gateway'; readonly natGatewayId: string }
  | { readonly kind: 'other'; readonly description: string };

/**
 * What a route matches. EC2 keeps the three kinds in three fields (DestinationCidrBlock,
 * DestinationIpv6CidrBlock, DestinationPrefixListId) and ReplaceRoute/CreateRoute take exactly one
 * of them, so the kind travels with the value and is never read off the string.
 */
export type RouteDestination =
  | { readonly kind: 'ipv4'; readonly value: string }
  | { readonly kind: 'ipv6'; readonly value: string }
  | { readonly kind: 'prefix-list'; readonly value: string };

export interface Route {
  readonly destination: RouteDestination;
  readonly target: RouteTarget;
  readonly state: 'active' | 'blackhole';
}

export interface RouteTable {
  readonly routeTableId: string;
  readonly vpcId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly routes: readonly Route[];
  /** Subnets explicitly associated with the table (DescribeRouteTables' Associations in state `associated`); absent when not read. */
  readonly subnetIds?: readonly string[];
}

export interface ElasticIp {
  readonly allocationId: string;
  readonly publicIp: string;
  /** The address's own tags: a group uses it only when it carries `failover:group=<group>`. */
  readonly tags: Readonly<Record<string, string>>;
  readonly association?: {
    readonly associationId: string;
    readonly networkInterfaceId?: string;
    readonly instanceId?: string;
    readonly privateIp?: string;
  };
}

export interface Subnet {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
}

/**
 * An ENI that holds one of the VIPs the tagged instances name, as DescribeNetworkInterfaces
 * reports it. Discovery refuses a group whose VIP is held outside its members.
 */
export interface AddressHolder {
  readonly networkInterfaceId: string;
  /** The instance the ENI is attached to, if any. */
  readonly instanceId?: string;
  readonly vpcId: string;
  readonly subnetId: string;
  /** What the ENI is, in the words of whoever made it (`aws-K8S-…`, `ELB app/…`, `Interface for NAT Gateway …`). */
  readonly description: string;
  /** `interface`, `branch`, `trunk`, `nat_gateway`, `lambda`, `vpc_endpoint`, …, as EC2 names it. */
  readonly interfaceType: string;
  /** Managed by an AWS service (a load balancer, a NAT gateway, a Lambda function). */
  readonly requesterManaged: boolean;
  readonly privateIps: readonly PrivateIp[];
}

/** DescribeNatGateways' `State`: only `available` forwards. */
export type NatGatewayState = 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';

/**
 * A NAT gateway tagged `failover:group`, as DescribeNatGateways reports it. A zonal one lives in one
 * subnet (its AZ is that subnet's); a regional one (`AvailabilityMode: regional`) has no subnet and
 * serves every AZ of its VPC under one ID.
 */
export interface NatGateway {
  readonly natGatewayId: string;
  readonly state: NatGatewayState;
  readonly vpcId: string;
  readonly mode: 'zonal' | 'regional';
  /** `private` gateways reach no internet: never an egress target. */
  readonly connectivity: 'public' | 'private';
  /** Zonal only. */
  readonly subnetId?: string;
  /** Zonal only, from its subnet; absent when the subnet was not read. */
  readonly availabilityZone?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** One consistent-enough read of everything the groups need, made in a single batch. */
export interface WorldSnapshot {
  readonly observedAt: number;
  readonly instances: readonly Instance[];
  readonly statusChecks: Readonly<Record<string, StatusChecks>>;
  readonly routeTables: readonly RouteTable[];
  readonly addresses: readonly ElasticIp[];
  readonly subnets: readonly Subnet[];
  /**
   * Every ENI that holds a VIP named by a tagged instance of a vip group, members' ENIs included
   * (read with one DescribeNetworkInterfaces for all groups; empty when there is no vip group).
   */
  readonly addressHolders: readonly AddressHolder[];
  /** NAT gateways tagged `failover:group` (read only when a nat group exists; absent: none read). */
  readonly natGateways?: readonly NatGateway[];
}

export type GroupKind = 'vip' | 'eip' | 'nat' | 'overlay';

/** Which addresses one instance's OS had configured, as the instance itself reported them. */
export interface OsView {
  /** When the report was asked for (epoch ms): the OS may have changed since, never before. */
  readonly at: number;
  /** Address to whether the OS had it on an interface. */
  readonly addresses: Readonly<Record<string, boolean>>;
}

/** OS views by instance ID (the probe sweep's reports, merged with what the core itself just did). */
export type OsReport = Readonly<Record<string, OsView>>;

/**
 * Source-based routing for an address on a secondary ENI: without it, replies leave through the
 * primary ENI with this address as their source, and the VPC drops them. The table and rule
 * priority are the ones amazon-ec2-net-utils uses, so the two agree when both run.
 */
export interface SourceRouting {
  /** 10000 + 100 × network card + device index. */
  readonly table: number;
  /** The subnet's router: its first host address. */
  readonly gateway: string;
  readonly subnetCidr: string;
}
export type FailbackPolicy = 'auto' | 'manual';

/** A probe's opinion of one instance. `unknown` means "could not see", which is never "down". */
export type Verdict = 'healthy' | 'unhealthy' | 'unknown';

/** Where a group's traffic should go: an ENI, or for Elastic IPs an ENI and one of its private IPs. */
export type SwitchTarget =
  | { readonly kind: 'eni'; readonly networkInterfaceId: string; readonly instanceId: string }
  | { readonly kind: 'eni-private-ip'; readonly networkInterfaceId: string; readonly instanceId: string; readonly privateIp: string }
  /** A NAT group's last resort: sent as `NatGatewayId` in ReplaceRoute/CreateRoute. */
  | { readonly kind: 'nat-gateway'; readonly natGatewayId: string };

/** One concrete change. Every action is idempotent: applying it to a world already in that state succeeds. */
export type Action =
  | {
      readonly type: 'assign-private-ip';
      readonly networkInterfaceId: string;
      readonly instanceId: string;
      readonly ip: string;
    }
  | {
      /** Bring the address up in the OS of the new holder (SSM Run Command). */
      readonly type: 'activate-ip';
      readonly instanceId: string;
      readonly macAddress: string;
      readonly ip: string;
      readonly prefixLength: number;
      /** Set when the address is on a secondary ENI. */
      readonly sourceRouting?: SourceRouting;
    }
  | {
      /** Take the address down in the OS of the old holder, if it is still reachable. Best effort. */
      readonly type: 'deactivate-ip';
      readonly instanceId: string;
      readonly macAddress: string;
      readonly ip: string;
      readonly prefixLength: number;
      readonly sourceRouting?: SourceRouting;
    }
  | {
      readonly type: 'associate-address';
      readonly allocationId: string;
      readonly target: Extract<SwitchTarget, { kind: 'eni' | 'eni-private-ip' }>;
    }
  | {
      readonly type: 'replace-route' | 'create-route';
      readonly routeTableId: string;
      readonly destination: RouteDestination;
      readonly target: SwitchTarget;
    }
  | {
      /** Forwarding nodes (NAT, overlay) must not drop packets that are not addressed to them. */
      readonly type: 'disable-source-dest-check';
      readonly networkInterfaceId: string;
      readonly instanceId: string;
    }
  | {
      /** Remediation of a member the probes judged down while it runs (never part of a traffic plan). */
      readonly type: 'reboot-instance' | 'stop-instance' | 'start-instance';
      readonly instanceId: string;
      /** stop-instance only: stop without waiting for the OS, for a node that did not stop on its own. */
      readonly force?: boolean;
    }
  | {
      /** Remediation `replace`: terminate an Auto Scaling member through its group, which launches a fresh one. */
      readonly type: 'terminate-instance';
      readonly instanceId: string;
    };

/** What triggered a decision; recorded in the journal. */
export type Trigger = 'manual' | 'probe' | 'event' | 'schedule';
