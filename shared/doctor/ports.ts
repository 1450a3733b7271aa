/**
 * The reads doctor makes beyond the core's observe. Every one is a Describe/Get call: doctor
 * never changes anything. `shared/aws/doctor-reads.ts` implements it over injected SDK clients.
 */
import type { Subnet } from '../core/model.js';
import type { CallOptions } from '../core/ports.js';
import type { InstanceFacts, NetworkAclFacts, RouteTableFacts, SecurityGroupFacts } from './model.js';

/** A Lambda function's configuration, or that it does not exist. */
export type FunctionFacts =
  | { readonly found: false }
  | {
      readonly found: true;
      readonly environment: Readonly<Record<string, string>>;
      readonly subnetIds: readonly string[];
      readonly securityGroupIds: readonly string[];
    };

export interface DoctorReadsPort {
  /** Type, profile, public IP and security groups of the instances carrying the group tag. */
  instances(options?: CallOptions): Promise<Readonly<Record<string, InstanceFacts>>>;
  /** SSM PingStatus per instance; an instance SSM does not know is absent. */
  pingStatus(instanceIds: readonly string[], options?: CallOptions): Promise<Readonly<Record<string, string>>>;
  securityGroups(groupIds: readonly string[], options?: CallOptions): Promise<readonly SecurityGroupFacts[]>;
  networkAcls(vpcIds: readonly string[], options?: CallOptions): Promise<readonly NetworkAclFacts[]>;
  routeTables(vpcIds: readonly string[], options?: CallOptions): Promise<readonly RouteTableFacts[]>;
  /** The subnets of these VPCs, and these subnets wherever they are. */
  subnets(query: { readonly vpcIds: readonly string[]; readonly subnetIds: readonly string[] }, options?: CallOptions): Promise<readonly Subnet[]>;
  /** Ipv4AddressesPerInterface per instance type. */
  ipv4PerInterface(instanceTypes: readonly string[], options?: CallOptions): Promise<Readonly<Record<string, number>>>;
  /** The configuration of a Lambda function (the deployment's own, or its sensor's). */
  lambdaFunction(name: string, options?: CallOptions): Promise<FunctionFacts>;
}
