/**
 * The probe's verdicts as the functions that decide outside the probe read them (failover and
 * on-event): from the state table, when the probe saved them recently. A hung member passes EC2's
 * status checks; only the probe knows it does not answer.
 */
import type { Log } from '../core/engine.js';
import type { CallOptions, Clock } from '../core/ports.js';
import type { ProbeVerdicts } from '../core/status.js';
import { type ProbeStatePort, probeView } from './memory.js';
import { STATE_MAX_AGE_MS } from './run-types.js';

/** Reads the probe's verdicts; undefined when none are recent, and when they cannot be read (logged: health then stands on EC2's view). */
export function probeVerdictsReader(state: ProbeStatePort, clock: Clock, log: Log): (options?: CallOptions) => Promise<ProbeVerdicts | undefined> {
  return async (options = {}) => {
    const stored = await state.load(options).catch((error: unknown) => {
      log.warn('probe verdicts not read; health from EC2 only', { error: String(error) });
      return undefined;
    });
    return probeView(stored, clock.now(), STATE_MAX_AGE_MS);
  };
}
