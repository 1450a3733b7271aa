import { defineConfig } from 'vitest/config';

/**
 * The suites `npm run mutate` runs against each mutant of the decision logic: the pure core, the
 * verdict rules and the event reactions. The scenario suites reach the same code through the
 * simulator and the SDK clients, but kill no mutant these leave alive (checked by running the
 * survivors against the whole suite), and would make a mutation run several times longer.
 */
export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts', 'test/probe/verdicts.test.ts', 'test/on-event/react.test.ts'],
    testTimeout: 20_000,
  },
});
