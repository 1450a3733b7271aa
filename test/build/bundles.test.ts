/**
 * The zips as Lambda runs them: unzipped alone, with no node_modules beside them, each handler
 * loads and signs its AWS calls with the credentials Lambda puts in the environment. The bundles
 * leave out the credential providers that come later in the default chain (serverless.yml,
 * custom.esbuild.exclude), so this is what proves the chain never needs them in Lambda.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);

describe('the packaged bundles, unzipped alone', () => {
  let dir: string;
  let endpoint: string;
  const seen: IncomingHttpHeaders[] = [];
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpcf-bundle-'));
    // Stands in for every AWS endpoint: records the request and answers that it is unavailable.
    const server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume().on('end', () => response.writeHead(503).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs the failover function’s calls with the environment’s credentials, needing nothing outside its zip', async () => {
    await run('unzip', ['-q', join(inject('packageDir'), 'failover.zip'), '-d', dir]);
    const invoke = `require('./functions/failover.cjs').handler({ action: 'status' }, { awsRequestId: 'r', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', getRemainingTimeInMillis: () => 3000 }).then(() => process.exit(0), (e) => { process.stdout.write('ERROR ' + e.message); process.exit(0); })`;

    const { stdout } = await run(process.execPath, ['-e', invoke], {
      cwd: dir,
      // Only what Lambda gives a function: no profile, no shared config, no node_modules.
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: dir,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
        AWS_ENDPOINT_URL: endpoint,
        AWS_MAX_ATTEMPTS: '1',
        VPCF_TABLE_NAME: 'vpc-failover-dev',
      },
    });

    expect(stdout).toMatch(/ERROR observing the world failed/);
    expect(stdout).not.toMatch(/Cannot find (package|module)/);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => String(h['authorization']).includes('Credential=AKIDBUNDLETEST/'))).toBe(true);
  });
});
