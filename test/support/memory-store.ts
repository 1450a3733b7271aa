/**
 * An in-memory LeasePort and JournalPort with the semantics of shared/aws/dynamo.ts, for fast
 * tests of the core: a lease is free when never taken, released, expired (leaseExpiresAt <= now)
 * or already ours (a re-acquire gets a new token); `previousReleasedAt` only when the previous
 * holder actually released; release is fenced by owner and token. Contract-tested against the
 * DynamoDB store in test/failover/lease.contract.test.ts.
 */
import type { GroupHistory, JournalEntry, JournalPort, LeaseGrant, LeasePort } from '../../shared/core/ports.js';

interface LeaseItem {
  owner?: string;
  token: number;
  leaseExpiresAt: number;
  releasedAt?: number;
  lastMoveAt?: number;
  roster?: readonly string[];
}

export interface MemoryStore extends LeasePort, JournalPort {
  /** The raw lease items, by group. */
  readonly leases: ReadonlyMap<string, Readonly<LeaseItem>>;
  /** Every entry recorded, in recording order. */
  readonly entries: readonly JournalEntry[];
  /** Calls per method, to assert that no-op rounds cost no store call. */
  readonly calls: Record<'tryAcquire' | 'release' | 'lastMoves' | 'adoptRoster' | 'record' | 'recent', number>;
}

export function memoryStore(): MemoryStore {
  const leases = new Map<string, LeaseItem>();
  const entries: JournalEntry[] = [];
  const calls = { tryAcquire: 0, release: 0, lastMoves: 0, adoptRoster: 0, record: 0, recent: 0 };
  return {
    leases,
    entries,
    calls,
    async tryAcquire(group, owner, ttlMs, now) {
      calls.tryAcquire++;
      const item = leases.get(group);
      const free = !item || item.owner === undefined || item.owner === owner || item.leaseExpiresAt <= now;
      if (!free) return undefined;
      const previous = item ? { ...item } : undefined;
      const token = (previous?.token ?? 0) + 1;
      leases.set(group, { ...previous, owner, token, leaseExpiresAt: now + ttlMs });
      const grant: LeaseGrant = {
        group,
        owner,
        token,
        expiresAt: now + ttlMs,
        ...(previous === undefined
          ? {}
          : previous.owner === undefined
            ? previous.releasedAt === undefined
              ? {}
              : { previousReleasedAt: previous.releasedAt }
            : { previousReleasedAt: Math.min(previous.leaseExpiresAt, now), previousLapsed: true }),
        ...(previous?.lastMoveAt === undefined ? {} : { lastMoveAt: previous.lastMoveAt }),
        ...(previous?.roster === undefined ? {} : { roster: [...previous.roster] }),
      };
      return grant;
    },
    async release(grant, now, update = {}) {
      calls.release++;
      const item = leases.get(grant.group);
      if (!item || item.owner !== grant.owner || item.token !== grant.token) return;
      const { owner: _released, ...rest } = item;
      leases.set(grant.group, {
        ...rest,
        releasedAt: now,
        leaseExpiresAt: now,
        ...(update.movedAt === undefined ? {} : { lastMoveAt: update.movedAt }),
        ...(update.roster === undefined ? {} : { roster: [...update.roster].sort() }),
      });
    },
    async lastMoves(groups) {
      calls.lastMoves++;
      const result: Record<string, GroupHistory> = {};
      for (const group of new Set(groups)) {
        const item = leases.get(group);
        if (item?.lastMoveAt === undefined && item?.roster === undefined) continue;
        result[group] = { ...(item.lastMoveAt === undefined ? {} : { lastMoveAt: item.lastMoveAt }), ...(item.roster === undefined ? {} : { roster: [...item.roster] }) };
      }
      return result;
    },
    async adoptRoster(group, roster) {
      calls.adoptRoster++;
      const item = leases.get(group);
      if (item?.roster !== undefined) return false;
      leases.set(group, { token: 0, leaseExpiresAt: 0, ...item, roster: [...roster].sort() });
      return true;
    },
    async record(entry) {
      calls.record++;
      entries.push(structuredClone(entry));
      return `group#${entry.group}/journal#${entries.length}`;
    },
    async recent(group, limit) {
      calls.recent++;
      if (limit < 1) return [];
      return entries
        .map((entry, index) => ({ entry, index }))
        .filter(({ entry }) => group === undefined || entry.group === group)
        .sort((x, y) => y.entry.at - x.entry.at || y.index - x.index)
        .slice(0, Math.floor(limit))
        .map(({ entry }) => entry);
    },
  };
}
