/**
 * What doctor reads and what it reports, as plain data. The facts come from one read of the
 * account (shared/aws/doctor-reads.ts); the checks are pure functions of them, so every check is
 * a table-driven test.
 */
import type { Route, Subnet, WorldSnapshot } from '../core/model.js';

/** One security group rule as DescribeSecurityGroups reports it, folded per source. */
export interface SgRule {
  /** `tcp`, `udp`, `icmp`, a protocol number, or `-1` (every protocol, every port). */
  readonly protocol: string;
  /** Absent for `-1`. */
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: readonly string[];
  readonly groupIds: readonly string[];
  readonly prefixListIds: readonly string[];
}

export interface SecurityGroupFacts {
  readonly groupId: string;
  readonly vpcId: string;
  readonly ingress: readonly SgRule[];
  readonly egress: readonly SgRule[];
}

/** One IPv4 entry of a network ACL (IPv6 entries are left out: the sensor probes IPv4). */
export interface AclEntry {
  readonly ruleNumber: number;
  readonly egress: boolean;
  /** A protocol number as a string, or `-1`. */
  readonly protocol: string;
  readonly action: 'allow' | 'deny';
  readonly cidr: string;
  /** TCP/UDP only; absent: every port. */
  readonly ports?: { readonly from: number; readonly to: number };
}

export interface NetworkAclFacts {
  readonly networkAclId: string;
  readonly vpcId: string;
  readonly isDefault: boolean;
  readonly subnetIds: readonly string[];
  readonly entries: readonly AclEntry[];
}

/** Every route table of a VPC, with what it is associated with (the snapshot has only the tagged ones). */
export interface RouteTableFacts {
  readonly routeTableId: string;
  readonly vpcId: string;
  /** The VPC's main table, which serves every subnet without an explicit association. */
  readonly main: boolean;
  readonly subnetIds: readonly string[];
  readonly routes: readonly Route[];
  readonly tags: Readonly<Record<string, string>>;
}

/** What DescribeInstances says that the snapshot leaves out. */
export interface InstanceFacts {
  readonly instanceType: string;
  /** The instance profile's ARN, if one is attached. */
  readonly profileArn?: string;
  /** The instance's public IPv4 (an auto-assigned one or an Elastic IP), if it has one. */
  readonly publicIp?: string;
  /** Security group IDs per ENI ID. */
  readonly eniSecurityGroups: Readonly<Record<string, readonly string[]>>;
}

/** Where the sensor runs: from the deployed function, or given on the command line. */
export interface SensorPlacement {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly source: 'deployed' | 'given';
}

/** What one member's `--deep` command found (shared/doctor/deep.ts). */
export type DeepResult =
  | { readonly status: 'answered'; readonly ip: boolean; readonly peers: Readonly<Record<string, boolean>> }
  | { readonly status: 'no-answer'; readonly why: string };

/** The reads doctor can do without: each leaves its checks at "not read". */
export type OptionalRead = 'securityGroups' | 'networkAcls' | 'instanceTypes';

/** Every fact the checks look at. A read that failed leaves its `error` instead of guessing. */
export interface DoctorFacts {
  readonly region: string;
  /**
   * The core's own observe: what discovery sees, the ENIs that hold a watched VIP
   * (`addressHolders`) and the Elastic IPs' tags included, so doctor judges ownership as the
   * core does and never reads the same interfaces twice.
   */
  readonly snapshot: WorldSnapshot;
  readonly instances: Readonly<Record<string, InstanceFacts>>;
  /** SSM registration (PingStatus) per instance ID, or why it could not be read. */
  readonly ssm: { readonly ok: true; readonly pingStatus: Readonly<Record<string, string>> } | { readonly ok: false; readonly error: string };
  readonly securityGroups: readonly SecurityGroupFacts[];
  readonly networkAcls: readonly NetworkAclFacts[];
  readonly routeTables: readonly RouteTableFacts[];
  /** Every subnet of the VPCs involved (the snapshot has only the members'). */
  readonly subnets: readonly Subnet[];
  /** Ipv4AddressesPerInterface per instance type. */
  readonly ipv4PerInterface: Readonly<Record<string, number>>;
  readonly sensor?: SensorPlacement;
  /** The deployment's vpcIds, when a deployment was found or they were given. */
  readonly vpcIds?: readonly string[];
  /** Whether the stage's functions exist. False: doctor also prints the first deploy's command. */
  readonly deployed: boolean;
  readonly stage: string;
  /**
   * Reads that failed (AccessDenied, say), with the error. Their checks say "not read" instead of
   * judging from facts that are missing: a group never looks closed because it could not be read.
   */
  readonly unread?: Readonly<Partial<Record<OptionalRead, string>>>;
  /** With --deep: what each running member's command found. */
  readonly deep?: Readonly<Record<string, DeepResult>>;
}

export type Severity = 'ok' | 'warning' | 'blocker';

export const CHECKS = [
  'tags',
  'vpc-scope',
  'state',
  'ssm',
  'source-dest',
  'nat-tables',
  'nat-egress',
  'vip',
  'eip',
  'quota',
  'sensor-access',
  'sensor-route',
  'deep',
] as const;
export type CheckId = (typeof CHECKS)[number];

/** One line of the report: a check's verdict on one group, and what to change. */
export interface Finding {
  readonly check: CheckId;
  readonly severity: Severity;
  readonly detail: string;
  /** The console path or CLI command that fixes it (absent when ok). */
  readonly fix?: string;
}

export interface GroupReport {
  readonly name: string;
  readonly kind?: string;
  readonly vpcId?: string;
  readonly findings: readonly Finding[];
}

/** The exact first deploy, from what doctor found. */
export interface DeployPlan {
  readonly vpcIds: readonly string[];
  readonly sensorVpcId?: string;
  readonly sensorSubnetIds: readonly string[];
  /** Commands to run in order; the last is the deploy. */
  readonly commands: readonly string[];
  readonly notes: readonly string[];
}

export interface DoctorReport {
  readonly region: string;
  readonly stage: string;
  readonly deployed: boolean;
  readonly sensor?: SensorPlacement;
  /** Whether --deep sent a command to the members. */
  readonly deep: boolean;
  readonly groups: readonly GroupReport[];
  readonly blockers: number;
  readonly warnings: number;
  readonly deploy?: DeployPlan;
}
