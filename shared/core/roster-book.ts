/**
 * What one engine knows of its groups' rosters and last moves between decisions: read once per
 * engine for the groups it plans, and the first roster recorded at the engine's first look at a
 * group that has none (see roster.ts). Only a hint for planning: under the lease, the grant's
 * roster is what a decision stands on.
 */
import { FailoverError } from '../errors.js';
import type { Group } from './groups.js';
import type { CallOptions, LeasePort } from './ports.js';
import { rosterFor } from './roster.js';

export class RosterBook {
  private readonly rosters = new Map<string, readonly string[]>();
  /** Groups whose history (last move, roster) was read or recorded. */
  private readonly read = new Set<string>();

  constructor(
    private readonly lease: LeasePort,
    private readonly warn: (message: string, extra: Record<string, unknown>) => void,
    /** Told each last move read, for the engine's cooldown view. */
    private readonly onLastMove: (group: string, at: number) => void,
  ) {}

  get(group: string): readonly string[] | undefined {
    return this.rosters.get(group);
  }

  set(group: string, roster: readonly string[]): void {
    this.rosters.set(group, roster);
    this.read.add(group);
  }

  /** Every roster known, by group. */
  all(): Readonly<Record<string, readonly string[]>> {
    return Object.fromEntries(this.rosters);
  }

  /**
   * Reads the history of the groups not seen yet; a group with no roster gets its current members as
   * its first (trust on first observation), unless `adopt` is false (dry runs, remediation). A failed
   * read or write leaves the roster unknown and is tried again next time.
   */
  async load(groups: readonly Group[], adopt: boolean, call: CallOptions): Promise<void> {
    const unseen = groups.filter((g) => !this.read.has(g.name));
    if (unseen.length === 0) return;
    try {
      const histories = await this.lease.lastMoves(unseen.map((g) => g.name), call);
      for (const group of unseen) {
        const history = histories[group.name];
        this.read.add(group.name);
        if (history?.lastMoveAt !== undefined) this.onLastMove(group.name, history.lastMoveAt);
        if (history?.roster !== undefined) this.rosters.set(group.name, history.roster);
      }
      const first = adopt ? unseen.filter((g) => !this.rosters.has(g.name)) : [];
      await Promise.all(
        first.map(async (group) => {
          const members = rosterFor(group, undefined, { kind: 'none' });
          if (await this.lease.adoptRoster(group.name, members, call)) this.rosters.set(group.name, members);
          else this.read.delete(group.name); // recorded by someone else meanwhile: read it next time
        }),
      );
    } catch (error) {
      if (!(error instanceof FailoverError)) throw error;
      for (const group of unseen) if (!this.rosters.has(group.name)) this.read.delete(group.name);
      this.warn('group rosters not read; planning trusts every member until the lease says otherwise', { error: error.message });
    }
  }
}
