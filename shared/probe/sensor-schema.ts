/**
 * The sensor's wire format, checked on both sides: the sensor refuses a malformed request, and the
 * prober refuses a malformed answer (a sensor of another version) instead of reading it as "down".
 */
import { z } from 'zod';
import { isIpv4, isPort } from '../core/validate.js';
import { isProbeId } from './script.js';

/** One invocation probes at most this many connections, so a request stays far below the 6 MB payload limit. */
export const MAX_SENSOR_CONNECTIONS = 2_000;

const target = z
  .object({
    id: z.string().refine(isProbeId, 'must be an instance id'),
    ip: z.string().refine(isIpv4, 'must be an IPv4 address'),
    ports: z.array(z.number().refine(isPort, 'must be a TCP port')).min(1).max(20),
  })
  .strict();

export const SensorRequestSchema = z
  .object({
    targets: z.array(target).max(MAX_SENSOR_CONNECTIONS),
    timeoutMs: z.number().int().min(100).max(10_000),
  })
  .strict()
  .refine((r) => r.targets.reduce((n, t) => n + t.ports.length, 0) <= MAX_SENSOR_CONNECTIONS, `at most ${MAX_SENSOR_CONNECTIONS} connections per request`);

export const SensorResponseSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      ip: z.string(),
      port: z.number().int(),
      result: z.enum(['ok', 'fail', 'error']),
      ms: z.number().min(0),
      code: z.string().optional(),
    }),
  ),
});
