/**
 * doctor's reads over injected SDK clients: Describe and Get calls only. Parameters and response
 * fields follow the EC2, SSM and Lambda API references; failures leave as AwsCallError.
 */
import {
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type IpPermission,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeInstanceInformationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Subnet } from '../core/model.js';
import type { CallOptions } from '../core/ports.js';
import type { AclEntry, InstanceFacts, NetworkAclFacts, RouteTableFacts, SecurityGroupFacts, SgRule } from '../doctor/model.js';
import type { DoctorReadsPort, FunctionFacts } from '../doctor/ports.js';
import { DEFAULT_GROUP_TAG_KEY, tagsToRecord, toRouteTable } from './ec2.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

/** EC2 filters take at most 200 values; DescribeInstanceTypes at most 100 types; SSM filter values at most 100 (50 a page). */
const FILTER_VALUES = 200;
const TYPES_PER_CALL = 100;
const SSM_IDS_PER_CALL = 50;

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const unique = (items: readonly string[]) => [...new Set(items)].sort();

async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw toAwsCallError(operation, error);
  }
}

/** Follows NextToken to the last page. */
async function pages<O extends { NextToken?: string | undefined }>(operation: string, send: (token: string | undefined) => Promise<O>): Promise<O[]> {
  const all: O[] = [];
  let token: string | undefined;
  do {
    const current = token;
    const page = await call(operation, () => send(current));
    all.push(page);
    token = page.NextToken || undefined;
  } while (token !== undefined);
  return all;
}

const withToken = (token: string | undefined) => (token === undefined ? {} : { NextToken: token });

function toRules(permissions: readonly IpPermission[] | undefined): SgRule[] {
  return (permissions ?? []).map((p) => ({
    protocol: p.IpProtocol ?? '-1',
    ...(p.IpProtocol !== '-1' && p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
    ...(p.IpProtocol !== '-1' && p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
    cidrs: (p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
    groupIds: (p.UserIdGroupPairs ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    prefixListIds: (p.PrefixListIds ?? []).flatMap((l) => (l.PrefixListId ? [l.PrefixListId] : [])),
  }));
}

/** Without a Lambda client, no function is found (a deployment that knows its own config needs none for itself). */
export function createDoctorReads(clients: { readonly ec2: EC2Client; readonly ssm: SSMClient; readonly lambda?: LambdaClient }): DoctorReadsPort {
  const { ec2, ssm, lambda } = clients;
  const byVpc = (vpcIds: readonly string[]) => chunks(unique(vpcIds), FILTER_VALUES);
  return {
    async instances(options: CallOptions = {}) {
      const result = await pages('DescribeInstances', (token) =>
        ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [DEFAULT_GROUP_TAG_KEY] }], MaxResults: 1000, ...withToken(token) }), { abortSignal: options.signal }),
      );
      const facts: Record<string, InstanceFacts> = {};
      for (const instance of result.flatMap((p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? []))) {
        if (!instance.InstanceId) continue;
        facts[instance.InstanceId] = {
          instanceType: instance.InstanceType ?? '',
          ...(instance.IamInstanceProfile?.Arn ? { profileArn: instance.IamInstanceProfile.Arn } : {}),
          ...(instance.PublicIpAddress ? { publicIp: instance.PublicIpAddress } : {}),
          eniSecurityGroups: Object.fromEntries(
            (instance.NetworkInterfaces ?? []).flatMap((eni) => (eni.NetworkInterfaceId ? [[eni.NetworkInterfaceId, (eni.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []))]] : [])),
          ),
        };
      }
      return facts;
    },

    async pingStatus(instanceIds, options: CallOptions = {}) {
      const status: Record<string, string> = {};
      for (const chunk of chunks(unique(instanceIds), SSM_IDS_PER_CALL)) {
        const result = await pages('DescribeInstanceInformation', (token) =>
          ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: chunk }], MaxResults: SSM_IDS_PER_CALL, ...withToken(token) }), { abortSignal: options.signal }),
        );
        for (const info of result.flatMap((p) => p.InstanceInformationList ?? [])) if (info.InstanceId && info.PingStatus) status[info.InstanceId] = info.PingStatus;
      }
      return status;
    },

    async securityGroups(groupIds, options: CallOptions = {}) {
      const groups = await Promise.all(
        chunks(unique(groupIds), FILTER_VALUES).map((chunk) =>
          pages('DescribeSecurityGroups', (token) =>
            ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: chunk }], MaxResults: 1000, ...withToken(token) }), { abortSignal: options.signal }),
          ),
        ),
      );
      return groups.flat().flatMap((p) => p.SecurityGroups ?? []).flatMap((g): SecurityGroupFacts[] =>
        g.GroupId ? [{ groupId: g.GroupId, vpcId: g.VpcId ?? '', ingress: toRules(g.IpPermissions), egress: toRules(g.IpPermissionsEgress) }] : [],
      );
    },

    async networkAcls(vpcIds, options: CallOptions = {}) {
      const result = await Promise.all(
        byVpc(vpcIds).map((chunk) =>
          pages('DescribeNetworkAcls', (token) =>
            ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: chunk }], MaxResults: 100, ...withToken(token) }), { abortSignal: options.signal }),
          ),
        ),
      );
      return result.flat().flatMap((p) => p.NetworkAcls ?? []).flatMap((acl): NetworkAclFacts[] =>
        acl.NetworkAclId
          ? [{
              networkAclId: acl.NetworkAclId,
              vpcId: acl.VpcId ?? '',
              isDefault: acl.IsDefault === true,
              subnetIds: (acl.Associations ?? []).flatMap((a) => (a.SubnetId ? [a.SubnetId] : [])),
              // IPv6 entries carry Ipv6CidrBlock instead: the sensor probes IPv4 only.
              entries: (acl.Entries ?? []).flatMap((e): AclEntry[] =>
                e.CidrBlock && e.RuleNumber !== undefined && (e.RuleAction === 'allow' || e.RuleAction === 'deny')
                  ? [{ ruleNumber: e.RuleNumber, egress: e.Egress === true, protocol: e.Protocol ?? '-1', action: e.RuleAction, cidr: e.CidrBlock, ...(e.PortRange?.From !== undefined && e.PortRange.To !== undefined ? { ports: { from: e.PortRange.From, to: e.PortRange.To } } : {}) }]
                  : [],
              ),
            }]
          : [],
      );
    },

    async routeTables(vpcIds, options: CallOptions = {}) {
      const result = await Promise.all(
        byVpc(vpcIds).map((chunk) =>
          pages('DescribeRouteTables', (token) =>
            ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: chunk }], MaxResults: 100, ...withToken(token) }), { abortSignal: options.signal }),
          ),
        ),
      );
      return result.flat().flatMap((p) => p.RouteTables ?? []).flatMap((raw): RouteTableFacts[] => {
        const table = toRouteTable(raw);
        if (!table) return [];
        const associations = raw.Associations ?? [];
        return [{ ...table, tags: tagsToRecord(raw.Tags), main: associations.some((a) => a.Main === true), subnetIds: associations.flatMap((a) => (a.SubnetId ? [a.SubnetId] : [])) }];
      });
    },

    async subnets(query, options: CallOptions = {}) {
      const filters = [
        ...byVpc(query.vpcIds).map((chunk) => ({ Name: 'vpc-id', Values: chunk })),
        ...chunks(unique(query.subnetIds), FILTER_VALUES).map((chunk) => ({ Name: 'subnet-id', Values: chunk })),
      ];
      const result = await Promise.all(
        filters.map((filter) =>
          pages('DescribeSubnets', (token) => ec2.send(new DescribeSubnetsCommand({ Filters: [filter], MaxResults: 1000, ...withToken(token) }), { abortSignal: options.signal })),
        ),
      );
      const found = new Map<string, Subnet>();
      for (const s of result.flat().flatMap((p) => p.Subnets ?? [])) {
        if (s.SubnetId) found.set(s.SubnetId, { subnetId: s.SubnetId, vpcId: s.VpcId ?? '', cidrBlock: s.CidrBlock ?? '', availabilityZone: s.AvailabilityZone ?? '' });
      }
      return [...found.values()];
    },

    async ipv4PerInterface(instanceTypes, options: CallOptions = {}) {
      const limits: Record<string, number> = {};
      for (const chunk of chunks(unique(instanceTypes.filter((t) => t !== '')), TYPES_PER_CALL)) {
        const result = await pages('DescribeInstanceTypes', (token) =>
          ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: chunk as _InstanceType[], ...withToken(token) }), { abortSignal: options.signal }),
        );
        for (const t of result.flatMap((p) => p.InstanceTypes ?? [])) {
          const limit = t.NetworkInfo?.Ipv4AddressesPerInterface;
          if (t.InstanceType && limit !== undefined) limits[t.InstanceType] = limit;
        }
      }
      return limits;
    },

    async lambdaFunction(name, options: CallOptions = {}): Promise<FunctionFacts> {
      if (!lambda) return { found: false };
      try {
        const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }), { abortSignal: options.signal });
        return {
          found: true,
          environment: { ...(config.Environment?.Variables ?? {}) },
          subnetIds: config.VpcConfig?.SubnetIds ?? [],
          securityGroupIds: config.VpcConfig?.SecurityGroupIds ?? [],
        };
      } catch (error) {
        if (isAwsErrorCode(error, 'ResourceNotFoundException')) return { found: false };
        throw toAwsCallError('GetFunctionConfiguration', error, { functionName: name });
      }
    },
  };
}
