/**
 * Interprets the probe script (shared/probe/script.ts) on the VpcWorld's instances: each check line
 * the script would run answers from the world's state, in the script's own output format.
 */
import { formatProbeLine } from '../../../shared/probe/parse.js';
import type { ScriptHandler, VpcWorld } from '../../support/world.js';

export interface ProbeHandlerOptions {
  /** Chance that one check is lost. */
  readonly lossRate?: number;
  readonly random?: () => number;
  /** How long the script runs (simulated): adds to the world's SSM delivery delay. */
  readonly durationMs?: () => number;
}

export interface ProbeWorld {
  /** Probers whose checks all fail (their own network is broken). */
  readonly blindProbers: Set<string>;
  /** NAT instances that answer but do not forward: their egress checks fail. */
  readonly notForwarding: Set<string>;
  /** Probe scripts run, by prober. */
  readonly runs: string[];
}

const ICMP = /^vpcf_icmp '([a-z0-9-]+)' '([0-9.]+)' &$/;
const TCP = /^vpcf_tcp '([a-z0-9-]+)' (tcp|egress) '([0-9.]+)' (\d+) &$/;

export function installProbeHandler(world: VpcWorld, options: ProbeHandlerOptions = {}): ProbeWorld {
  const random = options.random ?? Math.random;
  const state: ProbeWorld = { blindProbers: new Set(), notForwarding: new Set(), runs: [] };
  const lost = () => (options.lossRate ?? 0) > 0 && random() < (options.lossRate ?? 0);
  const handler: ScriptHandler = ({ instanceId, commands }) => {
    state.runs.push(instanceId);
    const blind = state.blindProbers.has(instanceId);
    const lines: string[] = [];
    for (const command of commands) {
      const icmp = ICMP.exec(command);
      const tcp = TCP.exec(command);
      if (icmp) {
        const [, id = '', ip = ''] = icmp;
        const ok = world.isReachable(id) && !blind && !lost();
        lines.push(formatProbeLine({ kind: 'check', id, check: 'icmp', target: ip, result: ok ? 'ok' : 'fail', ...(ok ? { rttMs: 0.4 } : {}) }));
      } else if (tcp) {
        const [, id = '', check = '', ip = '', port = ''] = tcp;
        const ok = check === 'egress' ? !state.notForwarding.has(instanceId) && !blind && !lost() : world.isReachable(id) && !blind && !lost();
        lines.push(formatProbeLine({ kind: 'check', id, check: check as 'tcp' | 'egress', target: ip, port: Number(port), result: ok ? 'ok' : 'fail' }));
      }
    }
    lines.push(formatProbeLine({ kind: 'end', checks: lines.length }));
    return { exitCode: 0, stdout: `${lines.join('\n')}\n`, durationMs: options.durationMs?.() ?? 0 };
  };
  world.onScript('vpcf probe-end', handler);
  return state;
}
