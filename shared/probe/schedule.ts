/**
 * When a scheduled probe run probes, and until when. EventBridge starts the run somewhere within its
 * minute, and Lambda retries an invocation that was throttled (the account's concurrency, or the
 * optional reservation, used up) with backoff, and may deliver one twice. So a run measures its window
 * from the time in its event, never from when it happens to start: a late run only probes what is
 * left of its minute, and one whose minute is over does not probe at all.
 */
import * as z from 'zod/mini';
import { InputError } from '../errors.js';
import { safeParse } from '../input.js';

const ScheduledEvent = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.string().check(z.refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 timestamp')),
});

/**
 * The scheduled time of the run, from its EventBridge event; undefined for a manual `{}`.
 * @throws InputError naming the field for anything else.
 */
export function scheduledTimeOf(event: unknown): number | undefined {
  if (typeof event === 'object' && event !== null && !Array.isArray(event) && Object.keys(event).length === 0) return undefined;
  const parsed = safeParse(ScheduledEvent, event);
  if (parsed.success) return Date.parse(parsed.data.time);
  const [issue] = parsed.error.issues;
  const field = issue?.path.length ? issue.path.map(String).join('.') : 'payload';
  throw new InputError(field, `${issue?.message ?? 'invalid'} (the probe takes an EventBridge scheduled event, or {} to run now)`, { cause: parsed.error });
}

export interface WindowInput {
  readonly mode: 'fast' | 'economy';
  /** When the run was scheduled (epoch ms); undefined: now. */
  readonly scheduledAt: number | undefined;
  readonly now: number;
  /** When the invocation's work must be done. */
  readonly deadline: number;
  /** How long one run probes after its scheduled time (fast mode). */
  readonly runMs: number;
  /** The shortest window worth probing: one round. */
  readonly roundMs: number;
  /** How often runs are scheduled. */
  readonly everyMs: number;
  /** The scheduled time of the last run this execution environment made, to know a second delivery of it. */
  readonly lastScheduledAt?: number;
}

export type Window = { readonly until: number } | { readonly skip: string };

export function runWindow(input: WindowInput): Window {
  if (input.scheduledAt !== undefined && input.scheduledAt === input.lastScheduledAt) {
    return { skip: `a second delivery of the run scheduled at ${new Date(input.scheduledAt).toISOString()}, which already ran` };
  }
  const start = Math.min(input.scheduledAt ?? input.now, input.now);
  const late = input.now - start;
  if (input.mode === 'economy') {
    // A run whose minute is over would only repeat the one that owns the present.
    if (late >= input.everyMs) return { skip: `late by ${Math.round(late / 1000)} s: the run of ${new Date(start + input.everyMs).toISOString()} covers now` };
    return { until: input.deadline };
  }
  const until = Math.min(input.deadline, start + input.runMs);
  if (until - input.now < input.roundMs) {
    return { skip: `late by ${Math.round(late / 1000)} s: the window of the run scheduled at ${new Date(start).toISOString()} is over` };
  }
  return { until };
}
