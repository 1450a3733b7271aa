/**
 * Plays a `chaos` fault on the lab: node faults on the namespaces (links, nftables) and the
 * simulated EC2 together, as the VPC would see them; API, store and event faults through the
 * simulator's fault plane (sim/faults.ts), as the soak does. It also keeps the truth the invariants
 * compare the controller with: which member is really down now.
 */
import { rebootInstances } from '../sim/ec2.js';
import type { FaultPlane } from '../sim/faults.js';
import type { LabFault, LabSlot } from './chaos-schedule.js';
import { SHUTDOWN_DELAY_MS } from './scenarios.js';
import type { Trial } from './trial.js';

/** How long a started instance takes to pass its status checks in the lab (the simulator's default is a minute). */
const STATUS_MS = 10_000;

/** The nftables table of the link-loss faults (the fabric's own are `ip vpcf` and `inet vpcf`). */
const LOSS_TABLE = 'vpcf_chaos';

function lossRuleset(permille: number): string {
  const drop = (hook: string, dir: string) => ` chain ${hook} {\n  type filter hook ${hook} priority -300;\n  ${dir} != "lo" numgen random mod 1000 < ${permille} drop\n }\n`;
  return `table inet ${LOSS_TABLE} {\n${drop('prerouting', 'iifname')}${drop('output', 'oifname')}}`;
}

export class LabFaults {
  /** Why each instance's links are down now (a hang, a crash, a flap); up when none is left. */
  private readonly downFor = new Map<string, Set<string>>();
  private readonly loss = new Map<string, number[]>();
  private readonly noForward = new Map<string, number>();
  /** How many crashes hold each instance's status check impaired. */
  private readonly crashes = new Map<string, number>();

  constructor(
    private readonly t: Trial,
    private readonly plane: FaultPlane,
  ) {}

  /** The instance in a slot of the lab's groups. */
  instanceOf(slot: LabSlot): string {
    const [group, side] = slot.split('/') as ['web' | 'egress', 'a' | 'b'];
    const pair = group === 'web' ? this.t.topology.vip : this.t.topology.nat;
    return pair?.[side].instanceId ?? '';
  }

  /** Really up: running, its links up, its OS answering and (a NAT) forwarding. Loss short of all packets is not down. */
  healthy(instanceId: string): boolean {
    const rec = this.t.world.instances.get(instanceId);
    return rec?.state === 'running' && !rec.hung && (this.downFor.get(instanceId)?.size ?? 0) === 0 && (this.noForward.get(instanceId) ?? 0) === 0;
  }

  /** Whether the instance's links are up (so its OS can be read for what a client would reach). */
  linksUp(instanceId: string): boolean {
    return (this.downFor.get(instanceId)?.size ?? 0) === 0;
  }

  /** Applies a fault; resolves to what ends it. */
  async apply(fault: LabFault, seed: number, key: string): Promise<() => Promise<void>> {
    if (!('node' in fault)) {
      const heal = this.plane.inject(fault, seed);
      return async () => heal();
    }
    const id = this.instanceOf(fault.node);
    const { world } = this.t;
    switch (fault.kind) {
      case 'node-hang':
        world.hang(id);
        await this.down(id, key);
        return async () => {
          await this.up(id, key);
          if (this.reasons(id).size === 0 && world.instances.get(id)?.state === 'running') world.unhang(id);
        };
      case 'node-crash':
        world.hang(id);
        world.impair(id, 'instance');
        this.crashes.set(id, (this.crashes.get(id) ?? 0) + 1);
        await this.down(id, key);
        return async () => {
          this.reasons(id).delete(key);
          const left = (this.crashes.get(id) ?? 1) - 1;
          this.crashes.set(id, left);
          const rec = world.instances.get(id);
          // The kernel is back, so its reachability check passes, even while a hang or a flap holds it.
          if (left === 0 && rec?.state === 'running' && rec.instanceCheck === 'impaired') world.setStatus(id, { instance: 'ok' });
          if (rec?.state !== 'running' || !rec.hung || this.reasons(id).size > 0) return this.sync(id);
          // Back as from a reboot: only what DHCP gives; the fabric flushes the rest and brings the links up.
          world.unhang(id);
          world.bootOs(rec);
          world.setStatus(id, { instance: 'ok' });
          world.emitChange({ kind: 'reboot', instanceId: id, phase: 'up' });
        };
      case 'node-stop':
        if (world.instances.get(id)?.state !== 'running') return async () => undefined;
        await this.t.fabric?.stop(id, SHUTDOWN_DELAY_MS, (ms) => this.t.sleep(ms));
        return async () => {
          if (world.instances.get(id)?.state !== 'stopped') return;
          world.start(id);
          world.emitChange({ kind: 'reboot', instanceId: id, phase: 'up' });
          void this.t.sleep(STATUS_MS).then(() => world.instances.get(id)?.state === 'running' && world.setStatus(id, { instance: 'ok', system: 'ok' }));
        };
      case 'node-reboot':
        if (world.instances.get(id)?.state === 'running' && !world.instances.get(id)?.hung) rebootInstances(world, { InstanceIds: [id] });
        return async () => undefined;
      case 'nat-no-forward':
        this.noForward.set(id, (this.noForward.get(id) ?? 0) + 1);
        await this.t.namespaces.clearNft(this.t.nameOf(id));
        return async () => {
          const left = (this.noForward.get(id) ?? 1) - 1;
          this.noForward.set(id, left);
          if (left === 0) await this.t.fabric?.restoreNat(id);
        };
      case 'link-loss': {
        const rates = this.loss.get(id) ?? [];
        rates.push(fault.rate);
        this.loss.set(id, rates);
        await this.renderLoss(id);
        return async () => {
          rates.splice(rates.indexOf(fault.rate), 1);
          await this.renderLoss(id);
        };
      }
      case 'link-flap':
        return this.flap(id, fault.periodMs, key);
      case 'ssm-delay':
      case 'ssm-undelivered':
      case 'ssm-timeout': {
        const heal = this.plane.inject({ ...fault, instanceId: id }, seed);
        return async () => heal();
      }
      case 'node-terminate':
        return async () => undefined;
    }
  }

  private reasons(id: string): Set<string> {
    const set = this.downFor.get(id) ?? new Set<string>();
    this.downFor.set(id, set);
    return set;
  }

  private async down(id: string, why: string): Promise<void> {
    this.reasons(id).add(why);
    await this.sync(id);
  }

  private async up(id: string, why: string): Promise<void> {
    this.reasons(id).delete(why);
    await this.sync(id);
  }

  /** Links down while a reason is left; up otherwise (for a running instance). */
  private async sync(id: string): Promise<void> {
    const running = this.t.world.instances.get(id)?.state === 'running';
    await this.t.fabric?.setLinks(id, this.reasons(id).size === 0 && running);
  }

  private async renderLoss(id: string): Promise<void> {
    const rates = this.loss.get(id) ?? [];
    const name = this.t.nameOf(id);
    await this.t.namespaces.exec(name, ['nft', 'delete', 'table', 'inet', LOSS_TABLE]);
    if (rates.length === 0) return;
    const kept = rates.reduce((k, r) => k * (1 - r), 1);
    const permille = Math.min(1000, Math.round((1 - kept) * 1000));
    await this.t.namespaces.mustExec(name, ['sh', '-c', 'printf "%s\\n" "$1" | nft -f -', 'sh', lossRuleset(permille)]);
  }

  private flap(id: string, periodMs: number, key: string): () => Promise<void> {
    let on = true;
    const loop = (async () => {
      while (on) {
        await this.down(id, key);
        await this.t.sleep(periodMs);
        await this.up(id, key);
        if (!on) return;
        await this.t.sleep(periodMs);
      }
    })();
    return async () => {
      on = false;
      await loop;
      await this.up(id, key);
    };
  }
}
