/**
 * The world's change feed: what a mirror of the VPC (the lab's data plane, `npm run lab`) needs to
 * follow the control plane without polling it.
 */
import type { InstanceState } from '../shared/core/model.js';
import type { RouteTargetRec } from './core.js';

/**
 * A change the world made, for whoever mirrors it elsewhere (the lab's data plane follows the
 * control plane through these). Emitted synchronously, inside the call that made the change,
 * whether it came through the API or from a test's direct manipulation.
 */
export type WorldChange =
  /** The secondary address moves to `to` (undefined: unassigned); Describe* and the VPC show it from `effectiveAt` on. */
  | { readonly kind: 'secondary-ip'; readonly ip: string; readonly from: string | undefined; readonly to: string | undefined; readonly effectiveAt: number }
  /** A route was created, replaced (`target` set) or deleted (`target` undefined). */
  | { readonly kind: 'route'; readonly routeTableId: string; readonly destination: string; readonly target: RouteTargetRec | undefined }
  /** The instance's state changed; routes to its ENIs may have turned active or blackhole with it. */
  | { readonly kind: 'instance-state'; readonly instanceId: string; readonly from: InstanceState; readonly to: InstanceState }
  /**
   * RebootInstances: the OS goes away (`down`, at the call; EC2 still says running), then comes
   * back (`up`) with only the addresses DHCP gives it and any hang gone.
   */
  | { readonly kind: 'reboot'; readonly instanceId: string; readonly phase: 'down' | 'up' };

/** Must not throw: it runs inside the world's own call. */
export type WorldListener = (change: WorldChange) => void;

/** The listeners of one world: VpcWorld is one. */
export class ChangeFeed {
  private readonly listeners = new Set<WorldListener>();

  /** Calls `listener` with every change from now on; returns the function that unsubscribes it. */
  onChange(listener: WorldListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Tells the listeners about a change. Called by the world's own state transitions and API handlers. */
  emitChange(change: WorldChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
