/**
 * Vitest global setup: checks once whether this machine has cfn-lint, prints one line when it does
 * not (what is missing), and hands the answer to every worker. With VPCF_REQUIRE_CFN_LINT=1 (CI) the
 * suite fails instead of skipping.
 */
import type { TestProject } from 'vitest/node';
import { type CfnLintCheck, cfnLintRequired, checkCfnLint } from '../build/support/cfn-lint.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cfnLint: CfnLintCheck;
  }
}

export default function setup(project: TestProject): void {
  const check = checkCfnLint();
  project.provide('cfnLint', check);
  if (!check.ok && !cfnLintRequired()) {
    console.log(`cfn-lint suite (test/build/cfn-lint.test.ts) skipped: ${check.reason}`);
  }
}
