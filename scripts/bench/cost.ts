/**
 * What the probe costs a month, and the memory it needs.
 *
 * 1. Memory: the packaged probe function (the zip `serverless package` builds), run in a fresh
 *    `node` against moto with 200 two-node VIP groups (and with 1), for a whole fast-mode run
 *    and an economy run. The sensor's Invoke is answered on loopback ("every port open"), since
 *    moto runs no Lambda code. The kernel's peak RSS of that process is what Lambda's "Max Memory
 *    Used" reports, less the runtime's own few MB.
 * 2. Per-run volumes: the same runs' log bytes (application lines and EMF metric lines, counted on
 *    the process's stdout), and, from the simulated VPC with AWS-like latencies, the calls and
 *    the billed duration of an economy run.
 * 3. The monthly bill at us-east-1 list prices (no free tier) for one VPC with one pair, per mode;
 *    the metrics by EMF against PutMetricData; the operations extras apart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { tableDefinition } from '../../shared/aws/dynamo.js';
import { createEmfMetrics } from '../../shared/aws/emf.js';
import type { SensorRequest, SensorResponse } from '../../shared/probe/ports.js';
import type { VipPair } from '../../sim/world.js';
import { checkMoto } from '../../test/moto/support/check.js';
import { type Children, killAll } from '../../test/moto/support/children.js';
import { ACCOUNT, CREDENTIALS, REGION, startMoto } from '../../test/moto/support/moto.js';
import { VpcBuilder, clientConfig } from '../../test/moto/support/vpc.js';
import { probeHarness } from '../../test/probe/support/harness.js';
import { between, prng } from '../../sim/prng.js';
import { packageFunctions, withHandler } from './cold.js';

/** us-east-1 list prices, USD, no free tier (December 2026). */
export const PRICE = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** A custom metric series a month (prorated by the hour it is written in). */
  metricSeries: 0.3,
  putMetricDataRequest: 0.01 / 1_000,
  /** Standard log class, first tier; storage for a 30-day retention adds 0.03 per GB-month. */
  logIngestGb: 0.5,
  logStoreGbMonth: 0.03,
  /** One standard-resolution alarm metric (a metric-math alarm pays per metric in it). */
  alarmMetric: 0.1,
  kmsKey: 1,
  /** Beyond the first three dashboards of the account. */
  dashboard: 3,
  dynamoWrite: 0.625 / 1e6,
  dynamoRead: 0.125 / 1e6,
} as const;

/**
 * V8 sized as Lambda's Node.js runtime sizes it for a 128 MB function (new space a tenth of the
 * memory, half of it a semi-space; old space the rest). Without it V8 sizes itself for this
 * machine's 24 GB and collects garbage far later than it would on Lambda.
 */
export const LAMBDA_128_V8 = ['--max-semi-space-size=6', '--max-old-space-size=116'] as const;

/** A 30-day month of runs, one a minute. */
const RUNS = 30 * 24 * 60;
const MB = 1_000_000;
const GB = 1e9;
/** Lambda's text-format START, END and REPORT lines of one invocation, with CloudWatch's 26 bytes per event. */
const PLATFORM_BYTES = 110 + 60 + 230 + 3 * 26;
const usd = (n: number) => (n < 0.005 ? '< 0.01' : n.toFixed(2));

interface ProcessRun {
  readonly maxRssKb: number;
  /** V8's heap in use when the run returned. */
  readonly heapMb: number;
  readonly ms: number;
  readonly rounds: number;
  readonly stdoutBytes: number;
  readonly emfBytes: number;
  readonly lines: number;
}

/** Answers Lambda's Invoke (POST /2015-03-31/functions/<name>/invocations) as a sensor that finds every port open. */
async function fakeSensor(): Promise<{ url: string; invokes: () => number; close: () => Promise<void> }> {
  let invokes = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      // The probe also reads where the sensor runs (GetFunctionConfiguration, a GET): outside a VPC
      // here, so it probes every group, as a single-sensor deployment does.
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ FunctionName: 'vpc-failover-dev-sensor', Runtime: 'nodejs24.x' }));
        return;
      }
      invokes += 1;
      const { targets } = JSON.parse(body) as SensorRequest;
      const answer: SensorResponse = { results: targets.flatMap((t) => t.ports.map((port) => ({ id: t.id, ip: t.ip, port, result: 'ok' as const, ms: 1 }))) };
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, invokes: () => invokes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The probe function's environment as the packaged template gives it (its literal values). */
function probeEnvironment(packageDir: string): Record<string, string> {
  const template = JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties?: { FunctionName?: unknown; Environment?: { Variables?: Record<string, unknown> } } }>;
  };
  const probe = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.FunctionName).endsWith('-probe'));
  const variables = probe?.Properties?.Environment?.Variables ?? {};
  return Object.fromEntries(Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** One invocation of the packaged handler in a fresh node, as Lambda would call it with `{}` (run now). */
function invokeProbe(dir: string, handler: string, env: NodeJS.ProcessEnv, children: Children): Promise<ProcessRun> {
  const code = `
    const { handler } = require('./${handler}');
    const started = Date.now();
    const context = { awsRequestId: 'bench-' + started, functionName: 'vpc-failover-dev-probe', invokedFunctionArn: 'arn:aws:lambda:${REGION}:${ACCOUNT}:function:vpc-failover-dev-probe', getRemainingTimeInMillis: () => 60000 - (Date.now() - started) };
    handler({}, context).then((summary) => {
      process.stderr.write('\\nRESULT ' + JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, heapMb: process.memoryUsage().heapUsed / 1e6, ms: Date.now() - started, rounds: summary.rounds ?? 0 }) + '\\n');
      process.exit(0);
    }, (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });`;
  const child: ChildProcess = spawn(process.execPath, [...LAMBDA_128_V8, '-e', code], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('close', (exitCode) => {
      children.delete(child);
      const result = /RESULT (\{.*\})/.exec(stderr)?.[1];
      if (exitCode !== 0 || !result) return reject(new Error(`the probe handler failed (${exitCode}):\n${stderr.slice(-3_000)}`));
      const lines = stdout.split('\n').filter(Boolean);
      const emf = lines.filter((l) => l.includes('"_aws"'));
      const bytes = (ls: readonly string[]) => ls.reduce((n, l) => n + Buffer.byteLength(l) + 26, 0);
      resolve({ ...(JSON.parse(result) as Pick<ProcessRun, 'maxRssKb' | 'heapMb' | 'ms' | 'rounds'>), stdoutBytes: bytes(lines), emfBytes: bytes(emf), lines: lines.length });
    });
  });
}

interface MotoMeasure {
  readonly fast: ProcessRun;
  readonly economy: ProcessRun;
  readonly sensorInvokes: number;
}

/** A moto with `groups` VIP pairs (50 to a VPC), and the packaged probe run once per mode against it. */
async function againstMoto(python: string, dir: string, handler: string, baseEnv: Record<string, string>, groups: number): Promise<MotoMeasure> {
  const children: Children = new Set();
  const moto = await startMoto(python, children);
  const sensor = await fakeSensor();
  const ec2 = new EC2Client(clientConfig(moto.endpoint));
  const dynamodb = new DynamoDBClient(clientConfig(moto.endpoint));
  try {
    const builder = new VpcBuilder(ec2);
    for (let start = 0; start < groups; start += 50) {
      const vpc = await builder.vpc(`bench-${start}`);
      await Promise.all(Array.from({ length: Math.min(50, groups - start) }, (_, i) => builder.vipPair(vpc, `web-${start + i}`, 200 + i)));
    }
    // The template names the table with a Ref (a generated name), so the bench names its own.
    const tableName = 'vpc-failover-bench';
    await dynamodb.send(new CreateTableCommand(tableDefinition(tableName)));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '',
      ...baseEnv,
      VPCF_TABLE_NAME: tableName,
      VPCF_VPC_IDS: builder.vpcIds.join(','),
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: sensor.url,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const fast = await invokeProbe(dir, handler, { ...env, VPCF_PROBE_MODE: 'fast' }, children);
    const invokes = sensor.invokes();
    const economy = await invokeProbe(dir, handler, { ...env, VPCF_PROBE_MODE: 'economy' }, children);
    return { fast, economy, sensorInvokes: invokes };
  } finally {
    ec2.destroy();
    dynamodb.destroy();
    await sensor.close();
    await killAll(children);
    await moto.stop();
  }
}

/** The handler loaded and nothing run: the floor of the function's memory. */
function loadedRss(dir: string, handler: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...LAMBDA_128_V8, '-e', `require('./${handler}'); process.stdout.write(String(process.resourceUsage().maxRSS))`], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`loading ${handler} failed`))));
  });
}

interface SimRun {
  readonly sensorInvokes: number;
  /** Invokes of the sensors behind the NATs (the fleet), all of them together. */
  readonly egressInvokes: number;
  readonly ssmCalls: number;
  readonly ec2Calls: number;
  readonly billedMs: number;
  readonly emfBytes: number;
  readonly putMetricDataRequests: number;
  /** The state item as the table stores it (its JSON), which sets the write units of each save. */
  readonly stateBytes: number;
}

/**
 * One pair in the simulated VPC, with AWS-like latencies: EC2 100–300 ms a call, the sensor 20–80 ms,
 * and, not modelled by the world, 100 ms for each SSM API call and 10 ms for each of the state
 * table's two calls. Median over `trials` runs of the mode (after one warm-up run).
 */
/** The NATs' egress endpoints in the simulated VPC: documentation addresses, answered from its state. */
const BENCH_EGRESS = [{ kind: 'egress' as const, host: '192.0.2.10', port: 443 }];

async function simRun(mode: 'fast' | 'economy', trials: number, kind: 'vip' | 'nat' = 'vip'): Promise<SimRun> {
  const rows: SimRun[] = [];
  for (let seed = 1; seed <= trials; seed += 1) {
    const h = probeHarness({ seed, kind, egressSensors: kind === 'nat', settings: { mode, ...(kind === 'nat' ? { egress: BENCH_EGRESS } : {}) }, persist: true, ssmDurationMs: [500, 2_500], ec2LatencyMs: [100, 300] });
    const egressCount = () => [...h.egressSensors.values()].reduce((n, e) => n + e.requests.length, 0);
    await h.run(57_000);
    await h.clock.drive(h.clock.sleep(60_000 - (h.clock.now() % 60_000)));
    h.world.clearCalls();
    const invokesBefore = h.sensor.requests.length;
    const egressBefore = egressCount();
    const batchesBefore = h.metrics.batches.length;
    const startedAt = h.clock.now();
    await h.run(57_000);
    const ssmCalls = h.world.calls.filter((c) => c.service === 'ssm').length;
    const ec2Calls = h.world.calls.filter((c) => c.service === 'ec2').length;
    let emfBytes = 0;
    const emf = createEmfMetrics({ namespace: 'VpcFailover', serviceName: 'vpc-failover', stage: 'bench', write: (line) => (emfBytes += Buffer.byteLength(line) + 26) });
    const batches = h.metrics.batches.slice(batchesBefore);
    // Stamped now: the simulated clock's dates are older than CloudWatch's 14 days, which Powertools warns about.
    for (const batch of batches) await emf.put(batch.map((d) => ({ ...d, timestamp: Date.now() })));
    rows.push({
      sensorInvokes: h.sensor.requests.length - invokesBefore,
      egressInvokes: egressCount() - egressBefore,
      ssmCalls,
      ec2Calls,
      billedMs: h.clock.now() - startedAt + ssmCalls * 100 + 2 * 10,
      emfBytes,
      putMetricDataRequests: batches.length,
      stateBytes: Buffer.byteLength(h.state?.item ?? '') + 100,
    });
  }
  const med = (pick: (r: SimRun) => number) => [...rows.map(pick)].sort((a, b) => a - b)[Math.floor(rows.length / 2)] ?? 0;
  return {
    sensorInvokes: med((r) => r.sensorInvokes),
    egressInvokes: med((r) => r.egressInvokes),
    ssmCalls: med((r) => r.ssmCalls),
    ec2Calls: med((r) => r.ec2Calls),
    billedMs: med((r) => r.billedMs),
    emfBytes: med((r) => r.emfBytes),
    putMetricDataRequests: med((r) => r.putMetricDataRequests),
    stateBytes: med((r) => r.stateBytes),
  };
}

/** Economy: a silent failure at a random moment to the switch call, runs scheduled each minute. */
async function economyDetection(trials: number): Promise<number[]> {
  const out: number[] = [];
  for (let seed = 1; seed <= trials; seed += 1) {
    const h = probeHarness({ seed, settings: { mode: 'economy' }, ssmDurationMs: [500, 2_500], ec2LatencyMs: [100, 300] });
    const { a } = h.pairs[0] as VipPair;
    const random = prng(seed * 7919);
    const failAt = h.clock.now() + between(random, 60_000, 120_000);
    let hungAt = Number.NaN;
    for (let minute = 0; minute < 6; minute += 1) {
      const scheduled = h.clock.now() - (h.clock.now() % 60_000) + 60_000;
      if (Number.isNaN(hungAt) && failAt < scheduled) {
        await h.clock.drive(h.clock.sleep(failAt - h.clock.now()));
        h.world.hang(a.instanceId);
        hungAt = h.clock.now();
      }
      await h.clock.drive(h.clock.sleep(scheduled - h.clock.now()));
      // EventBridge delivers somewhere within the minute; the first seconds, usually.
      await h.clock.drive(h.clock.sleep(between(random, 0, 3_000)));
      await h.run(57_000);
    }
    const call = h.world.calls.find((c) => c.operation === 'AssignPrivateIpAddresses');
    out.push(call ? call.at - hungAt : Number.POSITIVE_INFINITY);
  }
  return out.sort((x, y) => x - y);
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

export async function run(): Promise<string> {
  const out: string[] = ['## Cost and memory (`npm run bench -- cost`)', ''];
  const check = checkMoto();
  const packaged = packageFunctions();
  let memory: { floorKb: number; big: MotoMeasure; one: MotoMeasure } | undefined;
  try {
    if (check.ok) {
      const env = probeEnvironment(packaged.dir);
      memory = await withHandler(join(packaged.dir, 'probe.zip'), async (dir, handler) => ({
        floorKb: await loadedRss(dir, handler),
        big: await againstMoto(check.python, dir, handler, env, 200),
        one: await againstMoto(check.python, dir, handler, env, 1),
      }));
    } else {
      out.push(`_Memory not measured: ${check.reason}._`, '');
    }
  } finally {
    rmSync(packaged.dir, { recursive: true, force: true });
  }

  if (memory) {
    const mbOf = (kb: number) => (kb / 1024).toFixed(0);
    out.push(
      '### Memory of the packaged probe function (peak RSS of its process, against moto)',
      '',
      `Node ${process.version} with \`${LAMBDA_128_V8.join(' ')}\` (V8 sized as Lambda's Node.js runtime sizes it for 128 MB); the sensor answered on loopback. The handler loaded and nothing run: ${mbOf(memory.floorKb)} MB.`,
      '',
      '| groups (nodes) | mode | rounds | run s | peak RSS MB | heap in use at the end MB | log lines | log bytes (EMF bytes) |',
      '|---:|---|---:|---:|---:|---:|---:|---:|',
      ...(['big', 'one'] as const).flatMap((key) => {
        const m = memory![key];
        const groups = key === 'big' ? 200 : 1;
        return (['fast', 'economy'] as const).map(
          (mode) => `| ${groups} (${groups * 2}) | ${mode} | ${m[mode].rounds} | ${(m[mode].ms / 1000).toFixed(1)} | ${mbOf(m[mode].maxRssKb)} | ${m[mode].heapMb.toFixed(0)} | ${m[mode].lines} | ${m[mode].stdoutBytes} (${m[mode].emfBytes}) |`,
        );
      }),
      '',
    );
  }

  const fast = await simRun('fast', 5);
  const economy = await simRun('economy', 5);
  const detection = await economyDetection(40);
  out.push(
    '### One run of one pair in the simulated VPC (median of 5)',
    '',
    'Latencies: EC2 100–300 ms a call, the sensor 20–80 ms, SSM scripts 1–3 s; 100 ms added for each SSM API call and 10 ms for each of the two state-table calls, which the world does not delay.',
    '',
    '| mode | billed duration s | sensor invokes | SSM calls | EC2 calls | metric flushes (PutMetricData requests it would take) | EMF bytes |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...([['fast', fast], ['economy', economy]] as const).map(
      ([mode, r]) => `| ${mode} | ${(r.billedMs / 1000).toFixed(2)} | ${r.sensorInvokes} | ${r.ssmCalls} | ${r.ec2Calls} | ${r.putMetricDataRequests} | ${r.emfBytes} |`,
    ),
    '',
    `Economy detection, a silent failure at a random moment to the switch call (40 trials): p50 ${(pct(detection, 50) / 1000).toFixed(1)} s, p99 ${(pct(detection, 99) / 1000).toFixed(1)} s, min ${((detection[0] ?? 0) / 1000).toFixed(1)} s, max ${((detection.at(-1) ?? 0) / 1000).toFixed(1)} s. Fast mode: \`npm run bench -- probe\`.`,
    '',
  );

  // ---- the bill -------------------------------------------------------------------------------
  const appBytes = (mode: 'fast' | 'economy') => (memory ? memory.one[mode].stdoutBytes : mode === 'fast' ? fast.emfBytes + 900 : economy.emfBytes + 900);
  const rows = (mode: 'fast' | 'economy', r: SimRun) => {
    const billedS = mode === 'fast' ? 57 + 1 : r.billedMs / 1000;
    const probe = RUNS * billedS * 0.125 * PRICE.lambdaArmGbSecond + RUNS * PRICE.lambdaRequest;
    const sensorInvokes = RUNS * r.sensorInvokes;
    // 128 MB; ~10 ms billed when every member answers (TCP connects inside the VPC), 1 s while one is down.
    const sensor = sensorInvokes * (PRICE.lambdaRequest + 0.01 * 0.125 * PRICE.lambdaArmGbSecond);
    const logBytes = RUNS * (appBytes(mode) + PLATFORM_BYTES);
    const logs = (logBytes / GB) * (PRICE.logIngestGb + PRICE.logStoreGbMonth);
    const metric = PRICE.metricSeries;
    // A write unit per KB of the item; the conditional save is charged whether or not it lands.
    const state = RUNS * Math.ceil(r.stateBytes / 1024) * PRICE.dynamoWrite;
    const alarm = PRICE.alarmMetric;
    const total = probe + sensor + logs + metric + state + alarm;
    return { billedS, probe, sensor, sensorInvokes, logBytes, logs, metric, state, alarm, total };
  };
  const f = rows('fast', fast);
  const e = rows('economy', economy);
  const extras = {
    // Probe heartbeat, failed move, dead letters, function errors (3 metrics), probe throttles.
    alarms: PRICE.alarmMetric * 7,
    kms: PRICE.kmsKey,
    dashboard: PRICE.dashboard,
  };
  out.push(
    '### A month for one VPC with one pair (us-east-1 list prices, no free tier, 30 days)',
    '',
    '| item | fast | economy |',
    '|---|---:|---:|',
    `| \`probe\` Lambda, 128 MB arm64: ${RUNS} runs of ${f.billedS.toFixed(0)} s / ${e.billedS.toFixed(2)} s | ${usd(f.probe)} | ${usd(e.probe)} |`,
    `| \`sensor\` Lambda, 128 MB arm64, ~10 ms: ${f.sensorInvokes} / ${e.sensorInvokes} invokes; platform log lines off | ${usd(f.sensor)} | ${usd(e.sensor)} |`,
    `| CloudWatch Logs, the probe's lines, EMF and Lambda's START/END/REPORT: ${(f.logBytes / MB).toFixed(0)} / ${(e.logBytes / MB).toFixed(0)} MB | ${usd(f.logs)} | ${usd(e.logs)} |`,
    `| 1 custom metric series (GroupsWithoutHealthyMember, the heartbeat); move and detection series only in hours with moves | ${usd(f.metric)} | ${usd(e.metric)} |`,
    `| the probe's state, one conditional write a run of a ${fast.stateBytes} / ${economy.stateBytes} byte item (DynamoDB on demand) | ${usd(f.state)} | ${usd(e.state)} |`,
    `| the NoHealthyMember alarm | ${usd(f.alarm)} | ${usd(e.alarm)} |`,
    '| SSM Run Command, EC2 Describe calls, EventBridge schedule | free | free |',
    `| **total** | **${usd(f.total)}** | **${usd(e.total)}** |`,
    `| target | ≤ 5 | ≤ 0.5 |`,
    '',
    'Operations extras (docs/operations.md), the same in both modes:',
    '',
    '| item | monthly |',
    '|---|---:|',
    `| 7 more alarm metrics: probe heartbeat, failed move, dead letters, function errors (3 metrics in one math alarm), probe throttles | ${usd(extras.alarms)} |`,
    `| KMS key of the notification topic (CloudWatch alarms cannot publish to a topic under the AWS-managed key) | ${usd(extras.kms)} |`,
    `| the dashboard, beyond the account's first three | ${usd(extras.dashboard)} (0 within them) |`,
    `| SNS: a message per move (1,000,000 publishes a month are free, then 0.50 per million; email 2.00 per 100,000) | < 0.01 |`,
    '',
  );

  // ---- a VIP pair and a NAT pair in two AZs, with a sensor behind each NAT ---------------------
  const natFast = await simRun('fast', 3, 'nat');
  const natEconomy = await simRun('economy', 3, 'nat');
  const vpc = (mode: 'fast' | 'economy', vip: SimRun, nat: SimRun) => {
    const one = rows(mode, vip);
    // One probe run covers both pairs: its compute is the longer of the two runs (fast: the same
    // 57 s window); the main sensor is asked once a round for both pairs' members.
    const billedS = mode === 'fast' ? one.billedS : Math.max(vip.billedMs, nat.billedMs) / 1000;
    const probe = RUNS * billedS * 0.125 * PRICE.lambdaArmGbSecond + RUNS * PRICE.lambdaRequest;
    const mainInvokes = RUNS * Math.max(vip.sensorInvokes, nat.sensorInvokes);
    const main = mainInvokes * (PRICE.lambdaRequest + 0.01 * 0.125 * PRICE.lambdaArmGbSecond);
    // Behind a NAT the check leaves the VPC: ~50 ms billed a connect round trip to the endpoints.
    const perEgressSensor = (RUNS * nat.egressInvokes) / 2;
    const egressSensor = perEgressSensor * (PRICE.lambdaRequest + 0.05 * 0.125 * PRICE.lambdaArmGbSecond);
    // A second group adds its per-run log line and its share of the state item.
    const logs = one.logs * 1.25;
    const state = RUNS * Math.ceil((vip.stateBytes + nat.stateBytes - 100) / 1024) * PRICE.dynamoWrite;
    const total = probe + main + 2 * egressSensor + logs + one.metric + state + one.alarm;
    return { probe, main, mainInvokes, perEgressSensor, egressSensor, logs, state, total, metric: one.metric, alarm: one.alarm };
  };
  const vf = vpc('fast', fast, natFast);
  const ve = vpc('economy', economy, natEconomy);
  out.push(
    '### A month for one VPC with a VIP pair and a NAT pair in two AZs, a sensor behind each NAT',
    '',
    `Measured per run in the simulated VPC (median of 3, the NAT pair with a fleet sensor in each AZ's private subnet): the fleet's sensors are asked ${natFast.egressInvokes} / ${natEconomy.egressInvokes} times a run together (fast / economy), the main sensor ${Math.max(fast.sensorInvokes, natFast.sensorInvokes)} / ${Math.max(economy.sensorInvokes, natEconomy.sensorInvokes)}.`,
    '',
    '| item | fast | economy |',
    '|---|---:|---:|',
    `| \`probe\` Lambda, 128 MB arm64, one run a minute for both pairs | ${usd(vf.probe)} | ${usd(ve.probe)} |`,
    `| main \`sensor\`, ~10 ms: ${vf.mainInvokes} / ${ve.mainInvokes} invokes | ${usd(vf.main)} | ${usd(ve.main)} |`,
    `| 2 fleet sensors behind the NATs, ~50 ms each (the connect leaves the VPC): ${vf.perEgressSensor} / ${ve.perEgressSensor} invokes each | ${usd(2 * vf.egressSensor)} | ${usd(2 * ve.egressSensor)} |`,
    `| CloudWatch Logs | ${usd(vf.logs)} | ${usd(ve.logs)} |`,
    `| 1 custom metric series and its alarm | ${usd(vf.metric + vf.alarm)} | ${usd(ve.metric + ve.alarm)} |`,
    `| the probe's state | ${usd(vf.state)} | ${usd(ve.state)} |`,
    `| **total** | **${usd(vf.total)}** | **${usd(ve.total)}** |`,
    '| target | ≤ 6 | |',
    `| **each extra sensor** (another AZ's, or another VPC's main sensor, asked once a round) | ${usd(vf.egressSensor)} | ${usd(ve.egressSensor)} |`,
    '',
  );

  // ---- EMF against PutMetricData -----------------------------------------------------------------
  const emfMonth = (r: SimRun) => (RUNS * r.emfBytes * (PRICE.logIngestGb + PRICE.logStoreGbMonth)) / GB;
  const putMonth = (r: SimRun) => RUNS * r.putMetricDataRequests * PRICE.putMetricDataRequest;
  out.push(
    '### Metrics: EMF through the log against PutMetricData, for the same data points',
    '',
    '| way | fast | economy |',
    '|---|---:|---:|',
    `| EMF (Powertools Metrics): the lines' ingestion and storage | ${usd(emfMonth(fast))} | ${usd(emfMonth(economy))} |`,
    `| PutMetricData: one request per flush (${fast.putMetricDataRequests} / ${economy.putMetricDataRequests} a run) | ${usd(putMonth(fast))} | ${usd(putMonth(economy))} |`,
    '| before: PutMetricData, 9 series (one per node, six per group, one global), 2 requests a run | 3.56 | — |',
    '',
    'Either way the series cost the same (0.30 each a month); what the change saved is the series per node and per group. Per-group health is read from the log by the dashboard instead (Logs Insights, 0.005 USD per GB scanned).',
  );
  return out.join('\n');
}
