/**
 * Vitest global setup: `serverless package` once per test run, into a directory of its own, for
 * the suites that read the CloudFormation template or run the bundles. Offline: no AWS account.
 * The suites get the directory through `inject('packageDir')`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    packageDir: string;
  }
}

const root = join(import.meta.dirname, '..', '..');

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcf-package-'));
  await promisify(execFile)(join(root, 'node_modules', '.bin', 'serverless'), ['package', '--package', dir], {
    cwd: root,
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    timeout: 180_000,
    maxBuffer: 16 << 20,
  });
  project.provide('packageDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
