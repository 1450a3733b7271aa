/**
 * The manual payloads an operator sends: the fixtures in test/events/manual are what the
 * function's schema accepts (or refuses, naming the field), they run through the handler, and
 * scripts/failover.sh builds exactly these payloads from its arguments.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverPayload } from '../../functions/failover.js';
import { InputError } from '../../shared/errors.js';
import { parseInput } from '../../shared/input.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildVipPair } from '../../sim/world.js';
import { harness } from './support/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const fixtures = join(root, 'test', 'events', 'manual');
const script = join(root, 'scripts', 'failover.sh');
const load = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));
const files = readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort();

/** The field each bad fixture must be refused for. */
const BAD: Record<string, string> = {
  'bad-action.json': 'action',
  'bad-doctor-vpc.json': 'vpc',
  'bad-drill-back-after.json': 'backAfterSeconds',
  'bad-dry-run.json': 'dryRun',
  'bad-failback-to.json': 'to',
  'bad-group.json': 'group',
  'bad-missing-group.json': 'group',
  'bad-not-an-object.json': 'payload',
  'bad-reason.json': 'reason',
  'bad-to.json': 'to',
  'bad-unknown-key.json': 'force',
};

describe('manual payload fixtures', () => {
  it('has a named expectation for every bad fixture and at least the documented good ones', () => {
    expect(files.filter((f) => f.startsWith('bad-'))).toEqual(Object.keys(BAD).sort());
    expect(files).toEqual(expect.arrayContaining(['status-all.json', 'status-group.json', 'failover.json', 'failover-to.json', 'failover-dry-run.json', 'failback.json']));
  });

  it.each(files.filter((f) => !f.startsWith('bad-')))('accepts %s as it is', (file) => {
    expect(parseInput(FailoverPayload, load(file))).toEqual(load(file));
  });

  it.each(Object.entries(BAD))('refuses %s naming the field %s', (file, field) => {
    expect(() => parseInput(FailoverPayload, load(file))).toThrow(expect.objectContaining({ name: 'InputError', field }));
  });

  describe('through the handler', () => {
    let db: DynaliteHandle;
    beforeAll(async () => {
      db = await startDynalite();
    });
    afterAll(async () => {
      await db?.stop();
    });

    it.each(files)('handles %s without touching AWS unless it asks for a change', async (file) => {
      const clock = manualClock();
      const { world } = buildVipPair({ worldOptions: { clock }, group: 'web' });
      const h = await harness(world, clock, db);
      world.clearCalls();
      const payload = load(file) as Record<string, unknown>;

      const outcome = await h.invoke(payload).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );

      if (file.startsWith('bad-')) {
        expect('error' in outcome && outcome.error).toBeInstanceOf(InputError);
        expect(world.calls).toEqual([]);
      } else {
        expect(outcome).toHaveProperty('result');
        if (payload['action'] === 'status' || payload['action'] === 'doctor' || payload['dryRun'] === true) expect(world.mutations()).toEqual([]);
      }
    });

    it('hands a doctor payload, with its group and VPC, to the runtime\'s doctor', async () => {
      const clock = manualClock();
      const { world } = buildVipPair({ worldOptions: { clock }, group: 'web' });
      const h = await harness(world, clock, db);

      const result = await h.invoke(load('doctor-group.json'));

      expect(result).toMatchObject({ text: 'doctor {"action":"doctor","group":"web","vpc":"vpc-0123456789abcdef0"}' });
    });
  });
});

const run = promisify(execFile);

/** Runs the script; a failing exit resolves with its code instead of throwing. */
async function failoverSh(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('bash', [script, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const ID = 'i-0123456789abcdef0';

describe('scripts/failover.sh', () => {
  it.each([
    [['status', '--print'], 'status-all.json'],
    [['status', 'web', '--print'], 'status-group.json'],
    [['failover', 'web', '--reason', 'planned maintenance on the primary', '--print'], 'failover.json'],
    [['failover', 'web', '--to', ID, '--print'], 'failover-to.json'],
    [['failover', '--from', ID, 'web', '--print'], 'failover-from.json'],
    [['failover', 'web', '--dry-run', '--print'], 'failover-dry-run.json'],
    [['failback', 'web', '--print'], 'failback.json'],
    [['failback', 'web', '--dry-run', '--print'], 'failback-dry-run.json'],
    [['doctor', '--print'], 'doctor-all.json'],
    [['doctor', 'web', '--vpc', 'vpc-0123456789abcdef0', '--print'], 'doctor-group.json'],
    [['drill', 'web', '--print'], 'drill.json'],
    [['drill', 'web', '--back-after', '90s', '--print'], 'drill-back-after.json'],
    [['drill', 'web', '--back-after', '90', '--print'], 'drill-back-after.json'],
    [['drill', 'web', '--stay', '--print'], 'drill-stay.json'],
  ])('builds the payload of %j as in %s', async (args, fixture) => {
    const { code, stdout } = await failoverSh(args);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(load(fixture));
  });

  it.each([
    [['failover', 'web tier', '--print'], /group must be/],
    [['failover', 'web', '--to', 'i-12345; reboot', '--print'], /--to must be an instance ID/],
    [['failover', 'web', '--from', '$(reboot)', '--print'], /--from must be an instance ID/],
    [['failback', 'web', '--to', ID, '--print'], /only apply to failover/],
    [['failover', '--print'], /failover needs a group/],
    [['failover', 'web', '--reason', '', '--print'], /--reason must be 1 to 500/],
    [['failover', 'web', '--reason', 'r'.repeat(501), '--print'], /--reason must be 1 to 500/],
    [['failover', 'web', '--force', '--print'], /unknown option '--force'/],
    [['restart', 'web'], /unknown command 'restart'/],
    [['failover', 'web', 'extra', '--print'], /unexpected argument 'extra'/],
    [['status', '--stage', 'prod;rm', '--print'], /--stage must be/],
    [['status', '--region', 'moon', '--print'], /--region must be/],
    [['failover', 'web', '--to'], /--to needs a value/],
    [['doctor', '--vpc', 'vpc-1;reboot', '--print'], /--vpc must be a VPC ID/],
    [['status', '--vpc', 'vpc-0123456789abcdef0', '--print'], /--vpc only applies to doctor/],
    [['doctor', '--dry-run', '--print'], /do not apply to doctor/],
    [['drill', '--print'], /drill needs a group/],
    [['drill', 'web', '--back-after', '5h', '--print'], /--back-after must be seconds/],
    [['drill', 'web', '--back-after', '4m', '--print'], /--back-after must be at most 180s/],
    [['drill', 'web', '--back-after', '60s', '--stay', '--print'], /exclude each other/],
    [['failover', 'web', '--stay', '--print'], /only apply to drill/],
    [['drill', 'web', '--dry-run', '--print'], /do not apply to drill/],
  ])('refuses %j with exit 2 and says why', async (args, message) => {
    const { code, stdout, stderr } = await failoverSh(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('carries any reason through intact as one JSON string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0')), async (reason) => {
        const { code, stdout } = await failoverSh(['failover', 'web', '--reason', reason, '--print']);
        expect(code).toBe(0);
        expect(JSON.parse(stdout)).toEqual({ action: 'failover', group: 'web', reason });
      }),
      { numRuns: 25 },
    );
  });

  describe('invoking', () => {
    let bin: string;
    beforeAll(() => {
      // A stand-in npx that records its argv, so the command line is checked without AWS.
      bin = mkdtempSync(join(tmpdir(), 'failover-sh-'));
      writeFileSync(join(bin, 'npx'), '#!/usr/bin/env bash\nnode -e \'process.stdout.write(JSON.stringify(process.argv.slice(1)))\' -- "$@"\n');
      chmodSync(join(bin, 'npx'), 0o755);
      writeFileSync(join(bin, 'timeout'), '#!/usr/bin/env bash\nnode -e \'process.stdout.write(JSON.stringify(["timeout", ...process.argv.slice(1)]))\' -- "$@"\n');
      chmodSync(join(bin, 'timeout'), 0o755);
    });
    afterAll(() => rmSync(bin, { recursive: true, force: true }));
    const env = () => ({ ...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` });

    it('invokes the deployed function with the payload, stage and region', async () => {
      const { code, stdout } = await failoverSh(['failover', 'web', '--to', ID, '--stage', 'prod', '--region', 'eu-west-1'], env());
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(['serverless', 'invoke', '-f', 'failover', '--data', JSON.stringify({ action: 'failover', group: 'web', to: ID }), '--stage', 'prod', '--region', 'eu-west-1']);
    });

    it('prints the deployed doctor\'s table and exits 1 when it reports a blocker', async () => {
      const report = { blockers: 1, warnings: 0, groups: [], text: 'group web\n  ssm  BLOCKER  i-… is not registered with SSM' };
      writeFileSync(join(bin, 'npx'), `#!/usr/bin/env bash\nprintf '%s' '${JSON.stringify(report)}'\n`);
      const table = await failoverSh(['doctor'], env());
      const json = await failoverSh(['doctor', '--json'], env());
      writeFileSync(join(bin, 'npx'), '#!/usr/bin/env bash\nnode -e \'process.stdout.write(JSON.stringify(process.argv.slice(1)))\' -- "$@"\n');

      expect(table).toMatchObject({ code: 1, stdout: `${report.text}\n` });
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual(report);
    });

    it('invokes locally, never waiting forever, with --local', async () => {
      const { code, stdout } = await failoverSh(['status', '--local', '--json'], { ...env(), FAILOVER_LOCAL_TIMEOUT: '30' });
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(['timeout', '30', 'npx', 'serverless', 'invoke', 'local', '-f', 'failover', '--data', '{"action":"status"}']);
    });
  });
});
