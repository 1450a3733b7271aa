/**
 * One probe run at a time. Reserved concurrency used to give this, but reserving any concurrency
 * fails the deploy on an account with less than 100 to spare (new accounts have 10), so a run takes
 * the run lease (a conditional write) before it probes and gives it up after. A run that finds it
 * held exits at once; the one that holds it covers the minute.
 */
import type { Log } from '../core/engine.js';
import type { CallOptions } from '../core/ports.js';
import type { ProbeRunLeasePort } from './ports.js';

export interface ExclusiveRun {
  readonly owner: string;
  readonly now: number;
  /** When the lease lapses if never given up: the end of the invocation, which no run outlives. */
  readonly expiresAt: number;
  /** Aborts the claim with the run's work. */
  readonly signal?: AbortSignal;
  /** Aborts the release with what follows the run. */
  readonly settle?: AbortSignal;
  /** The clock's time when the run is over, for the release. */
  readonly clock: { now(): number };
}

/**
 * Runs `work` while holding the run lease, or skips it when another run holds the lease. When the
 * table cannot be asked, the run probes anyway: overlapping runs cost calls, never a double move,
 * since every move takes its group's lease first.
 */
export async function exclusively<T>(lease: ProbeRunLeasePort, run: ExclusiveRun, log: Log, work: () => Promise<T>): Promise<T | { readonly skipped: string }> {
  const call = (signal?: AbortSignal): CallOptions => (signal ? { signal } : {});
  let held = false;
  try {
    const claim = await lease.claim(run.owner, run.now, run.expiresAt, call(run.signal));
    if (!claim.granted) {
      const by = claim.holder === undefined ? '' : ` (${claim.holder}${claim.expiresAt === undefined ? '' : `, until ${new Date(claim.expiresAt).toISOString()}`})`;
      const skipped = `another probe run holds the run lease${by}`;
      log.info('probe run skipped', { reason: skipped });
      return { skipped };
    }
    held = true;
  } catch (error) {
    log.warn('probe run lease unavailable: probing without it', { error: String(error) });
  }
  try {
    return await work();
  } finally {
    if (held) await lease.release(run.owner, run.clock.now(), call(run.settle)).catch((error: unknown) => log.warn('probe run lease not released: it lapses at its expiry', { error: String(error), expiresAt: run.expiresAt }));
  }
}
