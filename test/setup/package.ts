/**
 * Vitest global setup: `serverless package` once per test run, into a directory of its own, for
 * the suites that read the CloudFormation template or run the bundles. Offline: no AWS account.
 * The suites get the directory through `inject('packageDir')`.
 *
 * A second package, with the params a deployment sets (`PACKAGE_PARAMS`), lets the template tests
 * check what those params become (`inject('paramsPackageDir')`); run after the first, since both
 * build in the service's .esbuild folder.
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
    paramsPackageDir: string;
  }
}

const root = join(import.meta.dirname, '..', '..');

/** The params of the second package: two VPCs, a reserved concurrency for the probe, subscriptions, a drill schedule, the FIS experiment and a sensor fleet. */
export const PACKAGE_PARAMS: Readonly<Record<string, string>> = {
  vpcIds: 'vpc-a,vpc-b',
  probeReservedConcurrency: '1',
  notifyEmail: 'ops@example.com',
  sensorSubnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  sensorSecurityGroupIds: 'sg-0123456789abcdef0',
  drillSchedule: 'cron(0 10 ? * TUE *)',
  drillGroup: 'web',
  fisExperiment: 'on',
  fisGroup: 'web',
  // One fleet sensor in the sensor VPC (the fleet's security group, created there), one with its own group.
  sensorVpcId: 'vpc-0123456789abcdef0',
  sensorFleet: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2:sg-0ccccccccccccccc3',
};

async function packageInto(params: Readonly<Record<string, string>>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcf-package-'));
  const args = ['package', '--package', dir, ...Object.entries(params).map(([key, value]) => `--param=${key}=${value}`)];
  await promisify(execFile)(join(root, 'node_modules', '.bin', 'serverless'), args, {
    cwd: root,
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    timeout: 180_000,
    maxBuffer: 16 << 20,
  });
  return dir;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = await packageInto({});
  const withParams = await packageInto(PACKAGE_PARAMS);
  project.provide('packageDir', dir);
  project.provide('paramsPackageDir', withParams);
  return () => {
    for (const d of [dir, withParams]) rmSync(d, { recursive: true, force: true });
  };
}
