import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Decides once whether the namespace suites can run here, and says why not in one line.
    globalSetup: ['test/setup/netns-gate.ts', 'test/setup/package.ts'],
    coverage: {
      provider: 'v8',
      include: ['shared/**/*.ts', 'functions/**/*.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
});
