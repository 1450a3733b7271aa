/**
 * Vitest global setup: checks once whether this machine can run the moto suites (test/moto), prints
 * one line when it cannot, and hands the answer to every worker. With VPCF_REQUIRE_MOTO=1 (CI) the
 * suites fail instead of skipping.
 */
import type { TestProject } from 'vitest/node';
import { type MotoCheck, checkMoto, motoRequired } from '../moto/support/check.js';

declare module 'vitest' {
  export interface ProvidedContext {
    moto: MotoCheck;
  }
}

export default function setup(project: TestProject): void {
  const check = checkMoto();
  project.provide('moto', check);
  if (!check.ok && !motoRequired()) {
    console.log(`moto suites (test/moto) skipped: ${check.reason}`);
  }
}
