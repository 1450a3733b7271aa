import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Decide once whether the namespace, moto and cfn-lint suites can run here (saying why not in one line), and package once.
    globalSetup: ['test/setup/netns-gate.ts', 'test/setup/moto-gate.ts', 'test/setup/cfn-lint-gate.ts', 'test/setup/package.ts'],
    coverage: {
      provider: 'v8',
      include: ['shared/**/*.ts', 'functions/**/*.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
});
