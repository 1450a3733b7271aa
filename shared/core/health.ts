/**
 * Folds instance state, EC2 status checks and probe verdicts into one assessment per instance.
 * "Can't see" stays `unknown`: only evidence makes a node unhealthy.
 */
import type { Verdict, WorldSnapshot } from './model.js';

export interface Assessment {
  readonly verdict: Verdict;
  /** Stopped, terminated or on its way there: definitely not serving, whatever the probes say. */
  readonly gone: boolean;
  readonly why: string;
}

export type HealthMap = Readonly<Record<string, Assessment>>;

/**
 * @param probes verdicts from health probes; an instance without one is judged on EC2 status checks alone.
 * @param reasons why the probes judged as they did, in words (`no TCP on 443 from the VPC`).
 */
export function assessHealth(world: WorldSnapshot, probes: Readonly<Record<string, Verdict>> = {}, reasons: Readonly<Record<string, string>> = {}): HealthMap {
  const result: Record<string, Assessment> = {};
  for (const instance of world.instances) {
    const id = instance.instanceId;
    const probe = probes[id];
    const checks = world.statusChecks[id] ?? 'unknown';
    result[id] =
      instance.state !== 'running'
        ? { verdict: 'unhealthy', gone: true, why: `instance is ${instance.state}` }
        : checks === 'impaired'
          ? { verdict: 'unhealthy', gone: false, why: 'EC2 status checks impaired' }
          : probe === 'unhealthy'
            ? { verdict: 'unhealthy', gone: false, why: reasons[id] ?? 'health probes failed' }
            : checks !== 'ok'
              ? { verdict: 'unknown', gone: false, why: `EC2 status checks ${checks}` }
              : probe === 'unknown'
                ? { verdict: 'unknown', gone: false, why: 'health probes inconclusive' }
                : { verdict: 'healthy', gone: false, why: probe === 'healthy' ? 'running, status ok, probes ok' : 'running, status ok' };
  }
  return result;
}
