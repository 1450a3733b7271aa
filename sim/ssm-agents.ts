/**
 * The SSM agents of the in-memory VPC: whether each instance's agent reaches the SSM service, as
 * DescribeInstanceInformation's PingStatus reports it, and as Run Command delivery depends on it.
 *
 * An agent reaches SSM when its instance runs and is not hung, its own link is not cut
 * (`ssmAgents.linkDown`: a security group, a NACL, the agent stopped), and its subnet has a way out:
 * the VPC has the ssm, ssmmessages and ec2messages endpoints (`ssmAgents.endpoints`), or the
 * subnet's default route goes to a gateway, a NAT gateway, or a NAT instance that is itself
 * reachable. A NAT instance that is dead (stopped, hung, its route a blackhole) blinds SSM for the
 * instances behind it. A subnet without a default route is taken to reach SSM some way the world
 * does not model (endpoints it was not told of), so the fixtures without routes keep their SSM.
 *
 * ConnectionLost shows at once here; AWS marks it after the agent misses its pings (minutes).
 */
import type { DescribeInstanceInformationCommandInput, DescribeInstanceInformationCommandOutput, InstanceInformation } from '@aws-sdk/client-ssm';
import type { Out } from './ec2.js';
import { ssmError } from './errors.js';
import type { WorldModel } from './model.js';

/** What the world knows of SSM agents besides the instances' own state. */
export interface SsmAgentState {
  /** Instances whose own path to SSM is cut: ConnectionLost, no delivery. */
  readonly linkDown: Set<string>;
  /** Instances with no agent registered: not listed, and SendCommand refuses them (InvalidInstanceId). */
  readonly unregistered: Set<string>;
  /** VPCs with the SSM interface endpoints: their instances reach SSM without a NAT. */
  readonly endpoints: Set<string>;
}

export const newSsmAgentState = (): SsmAgentState => ({ linkDown: new Set(), unregistered: new Set(), endpoints: new Set() });

/** The route table that applies to a subnet: its explicit association, else the VPC's main table. */
function tableOf(world: WorldModel, subnetId: string, vpcId: string) {
  const tables = [...world.routeTables.values()].filter((t) => t.vpcId === vpcId);
  return tables.find((t) => t.associations.some((a) => a.subnetId === subnetId)) ?? tables.find((t) => t.associations.some((a) => a.main));
}

/** Whether the instance's agent reaches the SSM service now. */
export function ssmReachable(world: WorldModel, instanceId: string): boolean {
  const instance = world.instances.get(instanceId);
  if (!instance || instance.state !== 'running' || instance.hung) return false;
  if (world.ssmAgents.linkDown.has(instanceId) || world.ssmAgents.unregistered.has(instanceId)) return false;
  if (world.ssmAgents.endpoints.has(instance.vpcId)) return true;
  const route = tableOf(world, instance.subnetId, instance.vpcId)?.routes.find((r) => r.destination === '0.0.0.0/0');
  if (!route || route.target.kind !== 'eni') return true;
  const natId = world.enis.get(route.target.networkInterfaceId)?.attachment?.instanceId;
  return natId !== undefined && natId !== instanceId && world.reachable(natId);
}

/** PingStatus as SSM reports it, or undefined for an instance SSM does not list. */
export function pingStatus(world: WorldModel, instanceId: string): 'Online' | 'ConnectionLost' | undefined {
  const instance = world.instances.get(instanceId);
  if (!instance || instance.state === 'terminated' || world.ssmAgents.unregistered.has(instanceId)) return undefined;
  return ssmReachable(world, instanceId) ? 'Online' : 'ConnectionLost';
}

const KEYS = new Set(['InstanceIds', 'AgentVersion', 'PingStatus', 'PlatformType', 'ResourceType', 'IamRole', 'ActivationIds', 'AssociationStatus', 'SourceIds', 'SourceTypes']);
const pages = new WeakMap<WorldModel, Map<string, { readonly ids: readonly string[]; readonly offset: number }>>();

/**
 * DescribeInstanceInformation with `Filters` (InstanceIds and PingStatus are modelled; other keys
 * are accepted and ignored), MaxResults 5 to 50 (default 10), NextToken paging. The legacy
 * InstanceInformationFilterList is refused with Filters, as the service does.
 */
export function describeInstanceInformation(world: WorldModel, input: DescribeInstanceInformationCommandInput): Out<DescribeInstanceInformationCommandOutput> {
  if (input.InstanceInformationFilterList !== undefined && input.Filters !== undefined) {
    throw ssmError('InvalidFilter', 'InstanceInformationFilterList and Filters cannot be used together');
  }
  const maxResults = input.MaxResults ?? 10;
  if (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 50) {
    throw ssmError('ValidationException', `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50`);
  }
  for (const filter of input.Filters ?? []) {
    if (filter.Key === undefined || (!KEYS.has(filter.Key) && !filter.Key.startsWith('tag'))) throw ssmError('InvalidFilterKey', `The filter key ${String(filter.Key)} is not valid`);
    const values = filter.Values ?? [];
    if (values.length < 1 || values.length > 100) {
      throw ssmError('ValidationException', `1 validation error detected: Value at 'filters.1.member.values' failed to satisfy constraint: Member must have length between 1 and 100`);
    }
  }
  const own = pages.get(world) ?? new Map();
  pages.set(world, own);
  let page: { readonly ids: readonly string[]; readonly offset: number };
  if (input.NextToken !== undefined) {
    const found = own.get(input.NextToken);
    if (!found) throw ssmError('InvalidNextToken', 'The specified token is not valid.');
    page = found;
  } else {
    const wanted = input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values;
    const pings = input.Filters?.find((f) => f.Key === 'PingStatus')?.Values;
    const ids = [...world.instances.keys()].filter((id) => {
      const ping = pingStatus(world, id);
      return ping !== undefined && (wanted === undefined || wanted.includes(id)) && (pings === undefined || pings.includes(ping));
    });
    page = { ids, offset: 0 };
  }
  const now = world.now();
  const list: InstanceInformation[] = page.ids.slice(page.offset, page.offset + maxResults).map((id) => {
    const instance = world.instance(id);
    const ping = pingStatus(world, id) ?? 'ConnectionLost';
    return {
      InstanceId: id,
      PingStatus: ping,
      LastPingDateTime: new Date(ping === 'Online' ? now : instance.launchTime.getTime()),
      AgentVersion: '3.3.0.0',
      IsLatestVersion: true,
      PlatformType: 'Linux',
      PlatformName: 'Amazon Linux',
      PlatformVersion: '2023',
      ResourceType: 'EC2Instance',
      IPAddress: world.primaryEni(id)?.primaryIp ?? '',
      ComputerName: `ip-${(world.primaryEni(id)?.primaryIp ?? '').replaceAll('.', '-')}.ec2.internal`,
      SourceId: id,
      SourceType: 'AWS::EC2::Instance',
    };
  });
  const next = page.offset + maxResults;
  if (next >= page.ids.length) return { InstanceInformationList: list };
  const token = world.nextUuid('describe-instance-information-token');
  own.set(token, { ids: page.ids, offset: next });
  return { InstanceInformationList: list, NextToken: token };
}
