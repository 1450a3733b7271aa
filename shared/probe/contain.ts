/**
 * How the probe loop keeps one failure from ending a run: whatever a port, the core or a script
 * builder throws (synchronously or as a rejection) is logged and means "could not see" for what it
 * was about. A known failure (FailoverError) is a warning; anything else is a bug, logged as an
 * error with its stack so it is found, and still never allowed to blind the other groups or to
 * escape as an unhandled rejection from work running in the background.
 */
import { FailoverError } from '../errors.js';
import type { Log } from '../core/engine.js';

/** The fallback for a failed look: logs the failure (naming `what` and `context`) and returns `fallback`. */
export function seen<T>(log: Log, what: string, fallback: T, context: Record<string, unknown> = {}): (error: unknown) => T {
  return (error) => {
    if (error instanceof FailoverError) {
      log.warn(`${what} failed; treated as unknown`, { ...context, error: error.message, context: error.context });
    } else {
      const detail = error instanceof Error ? { error: `${error.name}: ${error.message}`, stack: error.stack } : { error: String(error) };
      log.error(`${what} failed unexpectedly (a bug); treated as unknown`, { ...context, ...detail });
    }
    return fallback;
  };
}

/**
 * Calls `fn` and settles with its result, or with `fallback` when it throws or rejects: a
 * synchronous throw (a port that is not an async function, a script builder) becomes a logged
 * unknown like any rejection.
 */
export function attempt<T, F>(fn: () => T | Promise<T>, log: Log, what: string, fallback: F, context: Record<string, unknown> = {}): Promise<T | F> {
  let promise: Promise<T>;
  try {
    promise = Promise.resolve(fn());
  } catch (error) {
    return Promise.resolve(seen(log, what, fallback, context)(error));
  }
  return promise.catch(seen(log, what, fallback, context));
}

/** Runs `fn` for its effects; a throw is logged and swallowed (for synchronous steps: planning, folding). */
export function guarded(fn: () => void, log: Log, what: string, context: Record<string, unknown> = {}): void {
  try {
    fn();
  } catch (error) {
    seen(log, what, undefined, context)(error);
  }
}
