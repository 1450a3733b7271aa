/**
 * The sensor's wire format, checked on both sides: the sensor refuses a malformed request, and the
 * prober refuses a malformed answer (a sensor of another version) instead of reading it as "down".
 */
import * as z from 'zod/mini';
import { MAX_PORTS_PER_MEMBER } from '../core/limits.js';
import { isIpv4, isPort } from '../core/validate.js';
import { isProbeId } from './script.js';

/** One invocation probes at most this many connections, so a request stays far below the 6 MB payload limit. */
export const MAX_SENSOR_CONNECTIONS = 2_000;

const target = z.strictObject({
  id: z.string().check(z.refine(isProbeId, 'must be an instance id')),
  ip: z.string().check(z.refine(isIpv4, 'must be an IPv4 address')),
  ports: z.array(z.number().check(z.refine(isPort, 'must be a TCP port'))).check(z.minLength(1), z.maxLength(MAX_PORTS_PER_MEMBER)),
});

export const SensorRequestSchema = z
  .strictObject({
    targets: z.array(target).check(z.maxLength(MAX_SENSOR_CONNECTIONS)),
    timeoutMs: z.int().check(z.minimum(100), z.maximum(10_000)),
  })
  .check(z.refine((r) => r.targets.reduce((n, t) => n + t.ports.length, 0) <= MAX_SENSOR_CONNECTIONS, `at most ${MAX_SENSOR_CONNECTIONS} connections per request`));

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
});
