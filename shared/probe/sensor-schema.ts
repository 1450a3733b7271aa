/**
 * The sensor's wire format, checked on both sides: the sensor refuses a malformed request, and the
 * prober refuses a malformed answer (a sensor of another version) instead of reading it as "down".
 *
 * The envelope (`targets` is a list, `timeoutMs`, no other key) is checked strictly and a bad one
 * refuses the whole request. Each target is checked on its own (`checkSensorTargets`): a bad or
 * oversized target is refused by name in the answer's `refused`, and the others are probed. The
 * prober applies the same check before it sends, so one group's tags never blind the others.
 */
import * as z from 'zod/mini';
import { MAX_PORTS_PER_MEMBER } from '../core/limits.js';
import { isIpv4, isPort } from '../core/validate.js';
import { safeParse } from '../input.js';
import { isProbeId } from './script.js';
import type { TcpTarget } from './tcp.js';

/** One invocation probes at most this many connections, so a request stays far below the 6 MB payload limit. */
export const MAX_SENSOR_CONNECTIONS = 2_000;
/** Ports the sensor probes per target: the limit discovery enforces on `failover:ports`. */
export const MAX_SENSOR_PORTS = MAX_PORTS_PER_MEMBER;

export const SensorTargetSchema = z.strictObject({
  id: z.string().check(z.refine(isProbeId, 'must be an instance id')),
  ip: z.string().check(z.refine(isIpv4, 'must be an IPv4 address')),
  ports: z.array(z.number().check(z.refine(isPort, 'must be a TCP port'))).check(z.minLength(1), z.maxLength(MAX_PORTS_PER_MEMBER)),
});

/** The envelope only: each target is checked apart, by `checkSensorTargets`. */
export const SensorRequestSchema = z.strictObject({
  targets: z.array(z.unknown()).check(z.maxLength(MAX_SENSOR_CONNECTIONS)),
  timeoutMs: z.int().check(z.minimum(100), z.maximum(10_000)),
});

/** A target the sensor would not probe, and why: `targets.3.ports: Too big: expected array to have <=20 items`. */
export interface SensorRefusal {
  /** Its place in the request's `targets`. */
  readonly index: number;
  /** Its id, when it had a string one (a bad id is still named, for the log; it is never probed). */
  readonly id?: string;
  /** The first bad field (`targets.3.ports`) and what is wrong with it. */
  readonly field: string;
  readonly reason: string;
}

const refusalSchema = z.object({ index: z.int(), id: z.optional(z.string()), field: z.string(), reason: z.string() });

export const SensorResponseSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      ip: z.string(),
      port: z.int(),
      result: z.enum(['ok', 'fail', 'error']),
      ms: z.number().check(z.minimum(0)),
      code: z.optional(z.string()),
    }),
  ),
  // Absent from a sensor that refused nothing (and from sensors older than per-target checks).
  refused: z.optional(z.array(refusalSchema)),
});

const idOf = (value: unknown): string | undefined => {
  const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, 64) : undefined;
};

/**
 * Splits targets into those the sensor probes and those it refuses, each with the field and the
 * reason. Targets are taken in order until the request's connection budget is spent; the rest are
 * refused, so the budget too costs only the targets past it.
 */
export function checkSensorTargets(targets: readonly unknown[]): { readonly valid: TcpTarget[]; readonly refused: SensorRefusal[] } {
  const valid: TcpTarget[] = [];
  const refused: SensorRefusal[] = [];
  let connections = 0;
  targets.forEach((target, index) => {
    const id = idOf(target);
    const named = id === undefined ? {} : { id };
    const parsed = safeParse(SensorTargetSchema, target);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      const unknownKeys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
      const path = ['targets', index, ...(issue?.path ?? []), ...(unknownKeys.length === 1 ? unknownKeys : [])].map(String).join('.');
      const keys = unknownKeys.length > 0 ? ` (${unknownKeys.join(', ')})` : '';
      refused.push({ index, ...named, field: path, reason: `${issue?.message ?? 'invalid'}${keys}` });
      return;
    }
    const ports = parsed.data.ports.length;
    if (connections + ports > MAX_SENSOR_CONNECTIONS) {
      refused.push({ index, ...named, field: `targets.${index}.ports`, reason: `past the request's ${MAX_SENSOR_CONNECTIONS} connections` });
      return;
    }
    connections += ports;
    valid.push(parsed.data);
  });
  return { valid, refused };
}
