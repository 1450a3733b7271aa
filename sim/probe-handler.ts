/**
 * Interprets the probe script (shared/probe/script.ts) on the VpcWorld's instances: each check line
 * the script would run answers from the world's state, in the script's own output format. In a
 * sweep script (`probeBlocksScript`) only the first block whose prober IP is on the instance's own
 * interfaces runs, as on a real host; none matching prints `self=unknown` and no check.
 */
import { forwardingResult, formatProbeLine, type ProbeForwardingLine } from '../shared/probe/parse.js';
import type { ScriptHandler, VpcWorld } from './world.js';

export interface ProbeHandlerOptions {
  /** Chance that one check is lost. */
  readonly lossRate?: number;
  /** Chance that a check of this instance (or through this NAT) is lost: a lossy or flapping link. */
  readonly linkLoss?: (instanceId: string) => number;
  readonly random?: () => number;
  /** How long the script runs (simulated): adds to the world's SSM delivery delay. */
  readonly durationMs?: () => number;
}

/** What an instance's forwarding check finds on it. */
export interface NatConfig {
  readonly ipForward: boolean;
  /** `unsupported`: neither nft nor iptables could be read (the line says nat_rule=unknown). */
  readonly natRule: 'yes' | 'no' | 'unsupported';
}

/** Every instance forwards and masquerades until told otherwise. */
const FORWARDS: NatConfig = { ipForward: true, natRule: 'yes' };

export interface ProbeWorld {
  /** Probers whose checks all fail (their own network is broken). */
  readonly blindProbers: Set<string>;
  /** NAT instances that answer but do not forward: their egress checks fail. */
  readonly notForwarding: Set<string>;
  /** Probe scripts run, by prober. */
  readonly runs: string[];
  /** Checks run, by prober: one entry per check line interpreted. */
  readonly checksRun: string[];
  /** Instances that ran a sweep script and found no block of their own. */
  readonly unidentified: string[];
  /** Instances whose script cannot list their own addresses (no `ip`, `hostname -I` or /proc). */
  readonly addressless: Set<string>;
  /** Sets what the forwarding check finds on an instance from now on. */
  natConfig(instanceId: string, config: NatConfig): void;
  /** Forwarding checks run, by prober. */
  readonly forwardingRuns: string[];
  /**
   * NAT instances that drop what they should forward (a FORWARD-chain drop) while answering, reaching
   * out themselves and keeping their MASQUERADE rule: their own checks all pass.
   */
  readonly dropsForwarded: Set<string>;
  /** Whether traffic from behind this NAT gets out: it reaches out itself, is set up to forward and does not drop. */
  forwardsFor(instanceId: string): boolean;
}

const ICMP = /^vpcf_icmp '([a-z0-9-]+)' '([0-9.]+)' &$/;
const TCP = /^vpcf_tcp '([a-z0-9-]+)' (tcp|egress) '([0-9.]+)' (\d+) &$/;
const FORWARDING = /^vpcf_forwarding '([a-z0-9-]+)' &$/;
const ADDRESS = /^vpcf_address '([a-z0-9-]+)' '([0-9.]+)'$/;
const BLOCK = /^if \[ \$vpcf_self = unknown \] && vpcf_is_local '([0-9.]+)'; then$/;
const SELF = /^vpcf_self='([a-z0-9-]+)';/;

interface Block {
  readonly ip: string;
  self: string;
  readonly commands: string[];
}

/** Splits a sweep script into its blocks; a script without blocks is one block that always runs. */
function blocksOf(commands: readonly string[]): { blocks: Block[]; unconditional: string[] } {
  const blocks: Block[] = [];
  const unconditional: string[] = [];
  let current: Block | undefined;
  for (const command of commands) {
    const header = BLOCK.exec(command);
    if (header) {
      current = { ip: header[1] ?? '', self: '', commands: [] };
      blocks.push(current);
    } else if (current && command === 'fi') {
      current = undefined;
    } else if (current) {
      const self = SELF.exec(command);
      if (self) current.self = self[1] ?? '';
      else current.commands.push(command);
    } else {
      unconditional.push(command);
    }
  }
  return { blocks, unconditional };
}

function forwardingLine(id: string, config: NatConfig): ProbeForwardingLine {
  const ipForward = config.ipForward ? '1' : '0';
  const natRule = config.natRule === 'unsupported' ? 'unknown' : config.natRule;
  return { kind: 'forwarding', id, result: forwardingResult(ipForward, natRule), ipForward, natRule };
}

export function installProbeHandler(world: VpcWorld, options: ProbeHandlerOptions = {}): ProbeWorld {
  const random = options.random ?? Math.random;
  const configs = new Map<string, NatConfig>();
  const state: ProbeWorld = {
    blindProbers: new Set(),
    notForwarding: new Set(),
    runs: [],
    checksRun: [],
    unidentified: [],
    addressless: new Set(),
    forwardingRuns: [],
    natConfig: (instanceId, config) => void configs.set(instanceId, config),
    dropsForwarded: new Set(),
    forwardsFor: (instanceId) => {
      const config = configs.get(instanceId) ?? FORWARDS;
      return !state.notForwarding.has(instanceId) && !state.dropsForwarded.has(instanceId) && config.ipForward && config.natRule !== 'no';
    },
  };
  const lost = (id?: string) => {
    const rate = 1 - (1 - (options.lossRate ?? 0)) * (1 - (id === undefined ? 0 : (options.linkLoss?.(id) ?? 0)));
    return rate > 0 && random() < rate;
  };
  const handler: ScriptHandler = ({ instanceId, commands, os }) => {
    state.runs.push(instanceId);
    const blind = state.blindProbers.has(instanceId);
    const lines: string[] = [];
    const { blocks, unconditional } = blocksOf(commands);
    let run = unconditional;
    if (blocks.length > 0) {
      const local = new Set(state.addressless.has(instanceId) ? [] : os.interfaces().flatMap((i) => i.addresses.map((a) => a.split('/')[0] ?? '')));
      const mine = blocks.find((b) => local.has(b.ip));
      lines.push(formatProbeLine({ kind: 'self', ...(mine ? { prober: mine.self } : {}) }));
      if (mine) run = [...unconditional, ...mine.commands];
      else state.unidentified.push(instanceId);
    }
    let checks = 0;
    for (const command of run) {
      const icmp = ICMP.exec(command);
      const tcp = TCP.exec(command);
      const forwarding = FORWARDING.exec(command);
      const address = ADDRESS.exec(command);
      if (icmp || tcp || forwarding || address) {
        checks += 1;
        state.checksRun.push(instanceId);
      }
      if (address) {
        // Read from the instance's own address list, as the script does: no network involved.
        const [, id = '', ip = ''] = address;
        const present = os.interfaces().some((i) => i.addresses.some((a) => a.split('/')[0] === ip));
        lines.push(formatProbeLine({ kind: 'address', id, target: ip, present }));
      } else if (forwarding) {
        // A local check: the prober's own network being broken does not change what it reads.
        state.forwardingRuns.push(instanceId);
        lines.push(formatProbeLine(forwardingLine(forwarding[1] ?? '', configs.get(instanceId) ?? FORWARDS)));
      } else if (icmp) {
        const [, id = '', ip = ''] = icmp;
        const ok = world.isReachable(id) && !blind && !lost(id);
        lines.push(formatProbeLine({ kind: 'check', id, check: 'icmp', target: ip, result: ok ? 'ok' : 'fail', ...(ok ? { rttMs: 0.4 } : {}) }));
      } else if (tcp) {
        const [, id = '', check = '', ip = '', port = ''] = tcp;
        const ok = check === 'egress' ? !state.notForwarding.has(instanceId) && !blind && !lost(instanceId) : world.isReachable(id) && !blind && !lost(id);
        lines.push(formatProbeLine({ kind: 'check', id, check: check as 'tcp' | 'egress', target: ip, port: Number(port), result: ok ? 'ok' : 'fail' }));
      }
    }
    lines.push(formatProbeLine({ kind: 'end', checks }));
    return { exitCode: 0, stdout: `${lines.join('\n')}\n`, durationMs: options.durationMs?.() ?? 0 };
  };
  world.onScript('vpcf probe-end', handler);
  return state;
}
