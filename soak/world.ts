/**
 * The soak's VPC: one group of each kind (VIP with `failover:remediate=reboot`, Elastic IP, HA NAT,
 * overlay with `stop-start`) and one instance outside every group, plus what the soak needs to know
 * about it: which instance fills each slot now (a terminated member is replaced by a new one with
 * its tags), which group a call is about, and the truth about each group (a `Sample`).
 */
import type { GroupKind } from '../shared/core/model.js';
import type { ProbeWorld } from '../sim/probe-handler.js';
import { type EipPair, type NatPair, type OverlayPair, type VipPair, type VpcWorld, buildEipPair, buildNatPair, buildOverlayPair, buildVipPair } from '../sim/world.js';
import type { FaultPlane } from '../sim/faults.js';
import { GROUPS, type Slot, type SoakGroup } from './schedule.js';
import type { Sample } from './trace.js';

export const GROUP_KINDS: Readonly<Record<SoakGroup, GroupKind>> = { 'vip-0': 'vip', 'eip-0': 'eip', 'nat-0': 'nat', 'overlay-0': 'overlay' };

export class SoakWorld {
  readonly vip: VipPair;
  readonly eip: EipPair;
  readonly nat: NatPair;
  readonly overlay: OverlayPair;
  /** An instance in no group, for events about instances that are not enrolled. */
  readonly stray: string;
  private readonly slots = new Map<Slot, string>();
  private readonly groupOfInstance = new Map<string, SoakGroup>();
  private readonly groupOfRouteTable = new Map<string, SoakGroup>();

  constructor(
    readonly world: VpcWorld,
    private readonly probes: ProbeWorld,
  ) {
    const ports = '443';
    this.vip = buildVipPair({ world, group: 'vip-0', ports, tagsA: { 'failover:remediate': 'reboot' }, tagsB: { 'failover:remediate': 'reboot' } });
    this.eip = buildEipPair({ world, group: 'eip-0', ports });
    this.nat = buildNatPair({ world, group: 'nat-0', ports });
    this.overlay = buildOverlayPair({ world, group: 'overlay-0', ports, tagsA: { 'failover:remediate': 'stop-start' }, tagsB: { 'failover:remediate': 'stop-start' } });
    for (const pair of [this.vip, this.eip, this.nat, this.overlay]) {
      this.setSlot(`${pair.group as SoakGroup}/a`, pair.a.instanceId);
      this.setSlot(`${pair.group as SoakGroup}/b`, pair.b.instanceId);
    }
    for (const table of Object.values(this.nat.routeTables)) this.groupOfRouteTable.set(table, 'nat-0');
    for (const table of this.overlay.routeTables) this.groupOfRouteTable.set(table, 'overlay-0');
    this.stray = world.addInstance({ subnet: this.vip.subnetId, tags: { Name: 'not-enrolled' } }).instanceId;
  }

  private setSlot(slot: Slot, instanceId: string): void {
    this.slots.set(slot, instanceId);
    this.groupOfInstance.set(instanceId, slot.split('/')[0] as SoakGroup);
  }

  /** The instance in the slot now. */
  instanceOf(slot: Slot): string {
    return this.slots.get(slot) ?? '';
  }

  members(group: SoakGroup): string[] {
    return [this.instanceOf(`${group}/a`), this.instanceOf(`${group}/b`)];
  }

  /**
   * Launches a member like the terminated one in `slot` (same subnet and tags), as a replacement
   * would: once EC2 has finished terminating it, when the fault ends while it is still shutting down.
   */
  replace(slot: Slot): void {
    const old = this.world.instances.get(this.instanceOf(slot));
    if (old?.state === 'shutting-down') {
      const stop = this.world.onChange((change) => {
        if (change.kind !== 'instance-state' || change.instanceId !== old.id || change.to !== 'terminated') return;
        stop();
        this.replace(slot);
      });
      return;
    }
    if (!old || old.state !== 'terminated') return;
    const sourceDestCheck = GROUP_KINDS[slot.split('/')[0] as SoakGroup] === 'vip' || GROUP_KINDS[slot.split('/')[0] as SoakGroup] === 'eip';
    const fresh = this.world.addInstance({ subnet: old.subnetId, tags: { ...old.tags }, sourceDestCheck });
    this.setSlot(slot, fresh.instanceId);
  }

  groupOf(instanceId: string | undefined): SoakGroup | undefined {
    return instanceId === undefined ? undefined : this.groupOfInstance.get(instanceId);
  }

  private instanceOfEni(eniId: unknown): string | undefined {
    return typeof eniId === 'string' ? this.world.enis.get(eniId)?.attachment?.instanceId : undefined;
  }

  /** Which group and slot an EC2 call is about, where it points traffic (or what it acts on), and where the slot pointed. */
  describeCall(operation: string, input: Record<string, unknown>): { group?: SoakGroup; slot?: string; target?: string; from?: string } {
    const w = this.world;
    if (operation === 'AssignPrivateIpAddresses') {
      const ip = (input['PrivateIpAddresses'] as string[] | undefined)?.[0];
      const target = this.instanceOfEni(input['NetworkInterfaceId']);
      return { ...(ip === this.vip.vip ? { group: 'vip-0' as const } : {}), ...(ip ? { slot: ip, from: w.vipHolder(ip) } : {}), ...(target ? { target } : {}) };
    }
    if (operation === 'AssociateAddress') {
      const allocation = String(input['AllocationId'] ?? '');
      const target = (input['InstanceId'] as string | undefined) ?? this.instanceOfEni(input['NetworkInterfaceId']);
      const from = w.eips.has(allocation) ? w.eipHolder(allocation)?.instanceId : undefined;
      return { ...(allocation === this.eip.allocationId ? { group: 'eip-0' as const } : {}), slot: allocation, ...(target ? { target } : {}), ...(from ? { from } : {}) };
    }
    if (operation === 'ReplaceRoute' || operation === 'CreateRoute') {
      const table = String(input['RouteTableId'] ?? '');
      const destination = String(input['DestinationCidrBlock'] ?? '');
      const target = (input['InstanceId'] as string | undefined) ?? this.instanceOfEni(input['NetworkInterfaceId']);
      const from = w.routeTables.has(table) ? w.routeTarget(table, destination)?.instanceId : undefined;
      const group = this.groupOfRouteTable.get(table);
      return { ...(group ? { group } : {}), slot: `${table}|${destination}`, ...(target ? { target } : {}), ...(from ? { from } : {}) };
    }
    const target = (input['InstanceIds'] as string[] | undefined)?.[0] ?? (input['InstanceId'] as string | undefined);
    const group = this.groupOf(target);
    return { ...(group ? { group } : {}), ...(target ? { target } : {}) };
  }

  /** Running, answering, its links up, and (NAT) forwarding. */
  healthy(instanceId: string, plane: FaultPlane): boolean {
    return this.world.isReachable(instanceId) && plane.linkLoss(instanceId) < 1 && !this.probes.notForwarding.has(instanceId);
  }

  /** Where each slot of the group points now. */
  targets(group: SoakGroup): (string | undefined)[] {
    const w = this.world;
    switch (group) {
      case 'vip-0':
        return [w.vipHolder(this.vip.vip)];
      case 'eip-0':
        return [w.eipHolder(this.eip.allocationId)?.instanceId];
      case 'nat-0':
        return Object.values(this.nat.routeTables).map((t) => w.routeTarget(t, '0.0.0.0/0')?.instanceId);
      case 'overlay-0':
        return this.overlay.routeTables.map((t) => w.routeTarget(t, this.overlay.overlayCidr)?.instanceId);
    }
  }

  /** The truth about every group now. */
  sample(at: number, plane: FaultPlane): Sample[] {
    return GROUPS.map((group) => {
      const members = this.members(group);
      const healthy = members.filter((id) => this.healthy(id, plane));
      const ready = healthy.filter((id) => {
        const rec = this.world.instances.get(id);
        return rec?.instanceCheck === 'ok' && rec.systemCheck === 'ok';
      });
      const targets = this.targets(group);
      const osUp = group === 'vip-0' ? members.filter((id) => this.world.isReachable(id) && this.world.osIps(id).includes(this.vip.vip)) : undefined;
      const served = targets.every((t) => t !== undefined && healthy.includes(t)) && (osUp === undefined || osUp.includes(targets[0] ?? ''));
      return { at, group, targets, healthy, ready, members, ...(osUp ? { osUp } : {}), served };
    });
  }

  /**
   * Applies a tag edit; returns what undoes it, and the member it took out of the group. The
   * member untagged is the one that holds nothing, or b: in a NAT group each usually holds a table.
   */
  editTags(group: SoakGroup, edit: 'priority-swap' | 'untag-standby'): { readonly undo: () => void; readonly untagged?: string } {
    const [a, b] = this.members(group).map((id) => this.world.instances.get(id));
    if (!a || !b) return { undo: () => undefined };
    if (edit === 'priority-swap') {
      const swap = () => {
        const pa = a.tags['failover:priority'];
        const pb = b.tags['failover:priority'];
        if (pa === undefined || pb === undefined) return;
        a.tags['failover:priority'] = pb;
        b.tags['failover:priority'] = pa;
      };
      swap();
      return { undo: swap };
    }
    const holders = new Set(this.targets(group));
    const standby = holders.has(b.id) && !holders.has(a.id) ? a : b;
    const value = standby.tags['failover:group'];
    delete standby.tags['failover:group'];
    return {
      undo: () => {
        if (value !== undefined) standby.tags['failover:group'] = value;
      },
      untagged: standby.id,
    };
  }
}
