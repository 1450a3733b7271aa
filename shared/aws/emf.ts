/**
 * MetricsPort over CloudWatch's embedded metric format: Powertools Metrics shapes each batch as an
 * EMF document and the line goes to the function's log, from which CloudWatch extracts the metrics.
 * No API call and no request charge; a series still costs what any custom metric costs, so the
 * callers keep their series few.
 *
 * One line per dimension set and flush: each metric's values of the flush go out as one array
 * (split below the EMF limit of 100 values), stamped with the newest value's time.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Log } from '../core/engine.js';
import type { MetricDatum, MetricsPort } from '../probe/ports.js';

/**
 * EMF takes at most 100 values per metric in one document, and Powertools flushes on its own (to
 * stdout, past our writer) the moment an array reaches 100: so 99 per document.
 */
const MAX_VALUES = 99;

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds, None: MetricUnit.NoUnit } as const;

export interface EmfOptions {
  readonly namespace: string;
  /** Powertools adds it as the `service` dimension of every metric. */
  readonly serviceName: string;
  /**
   * The deployment's stage, the `stage` dimension of every metric: stages that share an account
   * and Region write series of their own, so one stage's probe never keeps another's alarms green.
   */
  readonly stage: string;
  /** Where a finished EMF line goes; the function's stdout by default (what CloudWatch Logs reads). */
  readonly write?: (line: string) => void;
  /** Where Powertools' own warnings go (a timestamp CloudWatch would drop, say): the function's log, not the console. */
  readonly log?: Log;
}

export function createEmfMetrics(options: EmfOptions): MetricsPort {
  const { log } = options;
  const logger = log ? { debug: (m: unknown) => log.debug(String(m)), info: (m: unknown) => log.info(String(m)), warn: (m: unknown) => log.warn(String(m)), error: (m: unknown) => log.error(String(m)) } : undefined;
  const metrics = new Metrics({ namespace: options.namespace, serviceName: options.serviceName, defaultDimensions: { stage: options.stage }, ...(logger ? { logger } : {}) });
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  return {
    async put(data) {
      const bySet = new Map<string, MetricDatum[]>();
      for (const d of data) {
        const key = JSON.stringify(Object.entries(d.dimensions).sort(([a], [b]) => a.localeCompare(b)));
        bySet.set(key, [...(bySet.get(key) ?? []), d]);
      }
      for (const datums of bySet.values()) {
        const values = new Map<string, { unit: MetricDatum['unit']; values: number[] }>();
        for (const d of datums) {
          const entry = values.get(d.name) ?? { unit: d.unit, values: [] };
          entry.values.push(...(d.values ?? [d.value ?? 0]));
          values.set(d.name, entry);
        }
        const longest = Math.max(...[...values.values()].map((v) => v.values.length));
        for (let start = 0; start < longest; start += MAX_VALUES) {
          for (const [name, value] of Object.entries(datums[0]?.dimensions ?? {})) metrics.addDimension(name, value);
          for (const [name, { unit, values: list }] of values) for (const v of list.slice(start, start + MAX_VALUES)) metrics.addMetric(name, UNITS[unit], v);
          metrics.setTimestamp(Math.max(...datums.map((d) => d.timestamp)));
          const document = metrics.serializeMetrics();
          metrics.clearMetrics();
          metrics.clearDimensions();
          write(JSON.stringify(document));
        }
      }
    },
  };
}
