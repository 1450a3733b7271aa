/**
 * One round of egress checks from behind the NATs: every egress sensor (sensors.ts) connects to the
 * egress endpoints at once, and each answer is credited to the NAT member its subnet's route
 * targets at the time of the check (egress.ts): the snapshot the round started from, and, when a
 * check failed and that snapshot is older than the round, a fresh one that must agree with it.
 * Never throws: a sensor that cannot be asked is unknown for its round.
 */
import type { Log } from '../core/engine.js';
import type { CallOptions } from '../core/ports.js';
import type { WorldSnapshot } from '../core/model.js';
import { attempt } from './contain.js';
import { type EgressReading, type NatMember, creditAcross, creditOf, egressObservation, egressTargets } from './egress.js';
import type { SensorResponse } from './ports.js';
import type { EgressTarget } from './script.js';
import type { EgressSite } from './sensors.js';
import type { Observation } from './verdicts.js';

export interface EgressRoundInputs {
  readonly sites: readonly EgressSite[];
  readonly endpoints: readonly EgressTarget[];
  readonly timeoutMs: number;
  /** The snapshot the round started from. */
  readonly world: WorldSnapshot;
  readonly nats: readonly NatMember[];
  readonly startedAt: number;
  /** A fresh snapshot, when a failure must be credited and `world` is older than the round. */
  readonly observe: () => Promise<WorldSnapshot | undefined>;
  readonly call: CallOptions;
}

export async function egressRound(inputs: EgressRoundInputs, log: Log): Promise<readonly EgressReading[]> {
  const { sites, endpoints, timeoutMs, world, nats, startedAt, call } = inputs;
  if (sites.length === 0 || endpoints.length === 0) return [];
  const targets = egressTargets(endpoints);
  const empty: SensorResponse = { results: [] };
  const observations: Observation[] = await Promise.all(
    sites.map(async (site) => {
      const response = await attempt(() => site.port.probe({ targets, timeoutMs }, call), log, 'egress sensor', empty, { sensor: site.name });
      const asked = new Set(targets.map((t) => t.id));
      return egressObservation(response.results.filter((r) => asked.has(r.id)), targets.length);
    }),
  );
  // The route may have moved since the snapshot was read: a failure is credited only where the
  // snapshots before and after the check agree, and to nobody when no fresh one could be read.
  const needFresh = observations.includes('fail') && world.observedAt < startedAt;
  const fresh = needFresh ? await inputs.observe() : undefined;
  const after = fresh !== undefined && fresh.observedAt >= startedAt ? fresh : undefined;
  return sites.map((site, i) => {
    const before = creditOf(world, site.subnetId, nats);
    const credit = needFresh && after === undefined ? { kind: 'none' as const, path: 'the route could not be read again after the check' } : creditAcross(before, after && creditOf(after, site.subnetId, nats));
    return { site: site.name, observation: observations[i] ?? 'unknown', credit };
  });
}
