/**
 * Shrinks a failing fault schedule to a shortest one that still fails, by delta debugging (ddmin):
 * drop halves, then quarters, ... then single entries, keeping every drop after which the run
 * still fails. Each entry brings its own seed, so an entry behaves the same whichever others stay.
 */

export interface ShrinkOptions {
  /** Most runs to spend; the smallest failing list found so far is returned when they are used up. */
  readonly budget?: number;
  /** Told of each attempt (its size, and whether it still failed). */
  readonly onAttempt?: (size: number, failed: boolean) => void;
}

export interface ShrinkResult<T> {
  readonly items: readonly T[];
  readonly runs: number;
  /** No single entry can be dropped any more (false when the budget ran out first). */
  readonly minimal: boolean;
}

/** @param fails runs the schedule and says whether it still fails the same way. */
export async function shrink<T>(items: readonly T[], fails: (subset: readonly T[]) => Promise<boolean>, options: ShrinkOptions = {}): Promise<ShrinkResult<T>> {
  const budget = options.budget ?? 200;
  let current = [...items];
  let runs = 0;
  let chunks = 2;
  const attempt = async (subset: readonly T[]): Promise<boolean> => {
    runs += 1;
    const failed = await fails(subset);
    options.onAttempt?.(subset.length, failed);
    return failed;
  };
  if (current.length > 0 && (await attempt([]))) return { items: [], runs, minimal: true };
  while (current.length >= 1 && runs < budget) {
    const size = Math.ceil(current.length / chunks);
    let dropped = false;
    for (let start = 0; start < current.length && runs < budget; start += size) {
      const complement = [...current.slice(0, start), ...current.slice(start + size)];
      if (complement.length === current.length) continue;
      if (await attempt(complement)) {
        current = complement;
        chunks = Math.max(chunks - 1, 2);
        dropped = true;
        break;
      }
    }
    if (dropped) continue;
    if (size === 1) return { items: current, runs, minimal: true };
    chunks = Math.min(chunks * 2, current.length);
  }
  return { items: current, runs, minimal: current.length === 0 };
}
