/**
 * Vitest glue for the namespace suites: `describeNetns` skips them (quietly: the global setup has
 * already said why, once) where this machine cannot build namespaces, and `useLab` gives each suite
 * its own namespaces, removed after it, also when setup failed half-way.
 */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { NamespaceSet, sweepStaleNamespaces } from '../../../lab/netns.js';

export { NamespaceSet as Lab, must, run, sweepStaleNamespaces, type NodeSpec, type RunResult } from '../../../lab/netns.js';

/** Set by CI: a machine that cannot run the namespace suites fails instead of skipping them. */
export const netnsRequired = (): boolean => process.env['VPCF_REQUIRE_NETNS'] === '1';

/** `describe` for suites that need namespaces, root and the tools of lab/host.ts. */
export function describeNetns(title: string, body: () => void): void {
  const check = inject('netns');
  if (!check.ok && !netnsRequired()) {
    describe.skip(`${title} [skipped: ${check.reason}]`, body);
    return;
  }
  describe(title, () => {
    beforeAll(() => {
      if (!check.ok) throw new Error(`VPCF_REQUIRE_NETNS=1 but this machine cannot run the namespace suites: ${check.reason}`);
    });
    body();
  });
}

/** Creates namespaces in `beforeAll` (after sweeping a dead run's) and removes them in `afterAll`. */
export function useLab(setup: (lab: NamespaceSet) => Promise<void>): () => NamespaceSet {
  let lab: NamespaceSet | undefined;
  beforeAll(async () => {
    await sweepStaleNamespaces();
    lab = new NamespaceSet();
    await setup(lab);
  }, 30_000);
  afterAll(async () => {
    await lab?.destroy();
  }, 30_000);
  return () => {
    if (!lab) throw new Error('namespaces not set up');
    return lab;
  };
}
