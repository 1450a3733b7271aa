/**
 * Vitest global setup: checks once whether this machine can run the namespace suites, prints one
 * line when it cannot (what is missing, and the command that installs it), and hands the answer
 * to every worker. With VPCF_REQUIRE_NETNS=1 (CI) the suites fail instead of skipping.
 */
import type { TestProject } from 'vitest/node';
import { type HostCheck, checkHost } from '../../lab/host.js';

declare module 'vitest' {
  export interface ProvidedContext {
    netns: HostCheck;
  }
}

export default function setup(project: TestProject): void {
  const check = checkHost();
  project.provide('netns', check);
  if (!check.ok && process.env['VPCF_REQUIRE_NETNS'] !== '1') {
    console.log(`namespace suites (test/netns, test/lab) skipped: ${check.reason}`);
  }
}
