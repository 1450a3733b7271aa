// Mutation testing of the decision logic: `npm run mutate` (not part of `npm test` or CI; it
// takes minutes on two cores). Survivors that cannot change behaviour are listed, with the
// reason, in test/mutation-equivalents.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: ['shared/core/{decide,health,groups,holders,ownership,remediate,notice}.ts', 'shared/probe/verdicts.ts', 'shared/events/react.ts'],
  // Messages and reasons are for people; their wording is not a rule.
  mutator: { excludedMutations: ['StringLiteral'] },
  checkers: [],
  concurrency: 2,
  // Other builds share the two cores; a short timeout would report slow runs as timeouts.
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // Every mutated file is expected at 90 % or more; below that overall, the run fails.
  thresholds: { high: 95, low: 90, break: 90 },
};
