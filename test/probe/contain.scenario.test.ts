/**
 * No path of the probe loop ends a run on a failure: each launcher and collector (the sensor, the
 * SSM probes and sweeps, the economy sweep's send and read, metrics, the state, every call into the
 * core) is made to throw, synchronously and as a rejected promise, with an error that is not one of
 * ours (the hardest case: a bug). The run still completes, every group is still probed, the failure
 * is logged, and nothing escapes as an unhandled rejection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FailoverEngine } from '../../shared/core/engine.js';
import type { HostPort, MetricsPort } from '../../shared/core/ports.js';
import type { ProbeEngine } from '../../shared/probe/loop.js';
import type { ProbeStatePort } from '../../shared/probe/memory.js';
import type { SensorPort } from '../../shared/probe/ports.js';
import { memoryLog } from '../support/harness.js';
import { type HarnessWraps, probeHarness } from './support/harness.js';

type Mode = 'sync' | 'rejected';

/** Fails the first `times` calls of `fn`, thrown or rejected, then passes the calls through. */
function failing<A extends unknown[], R>(fn: (...args: A) => R, mode: Mode, fired: { count: number }, times = 2): (...args: A) => R {
  return (...args: A): R => {
    if (fired.count < times) {
      fired.count += 1;
      const error = new TypeError(`injected failure ${fired.count}`);
      if (mode === 'sync') throw error;
      return Promise.reject(error) as R;
    }
    return fn(...args);
  };
}

interface Case {
  readonly what: string;
  /** The words of the log line that reports it. */
  readonly logged: string;
  readonly economy?: boolean;
  readonly persist?: boolean;
  readonly modes?: readonly Mode[];
  wrap(mode: Mode, fired: { count: number }): HarnessWraps;
}

const engineWith = (patch: (e: FailoverEngine) => Partial<ProbeEngine>) => (e: FailoverEngine): ProbeEngine => ({
  run: (r) => e.run(r),
  observe: (d, o) => e.observe(d, o),
  remediate: (r) => e.remediate(r),
  discover: (w) => e.discover(w),
  ...patch(e),
});
const hostWith = (patch: (h: HostPort) => Partial<HostPort>) => (h: HostPort): HostPort => ({ run: h.run, start: h.start, collect: h.collect, ...patch(h) });

const CASES: readonly Case[] = [
  { what: 'sensor.probe', logged: 'sensor failed', wrap: (m, f) => ({ sensor: (s: SensorPort) => ({ probe: failing(s.probe.bind(s), m, f) }) }) },
  { what: 'host.run (SSM confirmations and sweeps)', logged: 'SSM probe failed', wrap: (m, f) => ({ host: hostWith((h) => ({ run: failing(h.run, m, f) })) }) },
  { what: 'host.start (the economy sweep)', logged: 'SSM sweep failed', economy: true, wrap: (m, f) => ({ host: hostWith((h) => ({ start: failing(h.start, m, f) })) }) },
  { what: 'host.collect (reading the economy sweep)', logged: 'SSM sweep failed', economy: true, wrap: (m, f) => ({ host: hostWith((h) => ({ collect: failing(h.collect, m, f) })) }) },
  { what: 'metrics.put', logged: 'publishing metrics failed', wrap: (m, f) => ({ metrics: (x: MetricsPort) => ({ put: failing(x.put.bind(x), m, f) }) }) },
  { what: 'state.load', logged: 'loading the probe state failed', persist: true, wrap: (m, f) => ({ state: (s: ProbeStatePort) => ({ load: failing(s.load.bind(s), m, f), save: s.save.bind(s) }) }) },
  { what: 'state.save', logged: 'saving the probe state failed', persist: true, wrap: (m, f) => ({ state: (s: ProbeStatePort) => ({ load: s.load.bind(s), save: failing(s.save.bind(s), m, f) }) }) },
  { what: 'engine.observe', logged: 'observe failed', wrap: (m, f) => ({ engine: engineWith((e) => ({ observe: failing(e.observe.bind(e), m, f) })) }) },
  { what: 'engine.run', logged: 'failover core failed', wrap: (m, f) => ({ engine: engineWith((e) => ({ run: failing(e.run.bind(e), m, f) })) }) },
  { what: 'engine.remediate', logged: 'remediation failed', wrap: (m, f) => ({ engine: engineWith((e) => ({ remediate: failing(e.remediate.bind(e), m, f) })) }) },
  // discover is synchronous: it can only throw.
  { what: 'engine.discover', logged: 'discovery failed', modes: ['sync'], wrap: (m, f) => ({ engine: engineWith((e) => ({ discover: failing(e.discover.bind(e), m, f) })) }) },
];

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => void process.off('unhandledRejection', onUnhandled));

const table = CASES.flatMap((c) => (c.modes ?? (['sync', 'rejected'] as const)).map((mode) => [c.what, mode, c] as const));

describe('a launcher or collector that fails', () => {
  it.each(table)('%s failing (%s): the run completes, every group is probed, the failure is logged', async (_what, mode, c) => {
    const fired = { count: 0 };
    const log = memoryLog();
    const h = probeHarness({ groups: 3, log, persist: c.persist ?? false, settings: { mode: c.economy ? 'economy' : 'fast' }, wrap: c.wrap(mode, fired) });

    const summaries = [await h.run(c.economy ? 57_000 : 20_000)];
    if (c.economy || c.persist) {
      await h.clock.drive(h.clock.sleep(60_000));
      summaries.push(await h.run(c.economy ? 57_000 : 20_000, undefined, { cold: c.persist ?? false }));
    }
    await new Promise((resolve) => setImmediate(resolve));

    expect(fired.count).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
    for (const s of summaries) expect(s.rounds).toBeGreaterThan(0);
    const all = h.pairs.flatMap((p) => [p.a.instanceId, p.b.instanceId]);
    expect(h.sensor.requests.at(-1)?.targets.map((t) => t.id).sort()).toEqual([...all].sort());
    for (const id of all) expect(h.memory.states.get(id)?.verdict).toBe('healthy');
    expect(log.lines.filter((l) => l.level === 'error' && l.message.startsWith(c.logged.replace(/ failed$/, ''))).length).toBeGreaterThan(0);
  });
});
