/**
 * Deployment bundles: `serverless package` (no AWS account needed), then per function the zip's
 * size, what it holds, which SDK clients its handler file carries (credential providers bring STS
 * and SSO clients of their own), and the time of a cold
 * `require` of the handler against an empty `node -e ''` on the same Node (median of RUNS, each in
 * a fresh process). A cold start on Lambda also pays for the runtime's own init; this isolates
 * the part the bundle decides.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 5;
/** Every SDK v3 client's runtime config names its service this way, minified or not. */
const SERVICE_ID = /serviceId\s*\?\?\s*"([^"]+)"/g;

function sh(command: string, args: readonly string[], cwd = ROOT): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** The process's own CPU time (user + system) at the end of the script, in ms. */
const CPU = ';{const u=process.resourceUsage();process.stdout.write(String((u.userCPUTime+u.systemCPUTime)/1000))}';

/**
 * One fresh `node -e <code>` in `cwd`: its wall time, and the CPU time it used. The CPU time is
 * steadier on a busy machine; the wall time is what a cold start waits.
 */
function timeNode(code: string, cwd: string): { wallMs: number; cpuMs: number } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', `${code}${CPU}`], { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node -e ${code} failed: ${result.stderr}`);
  return { wallMs, cpuMs: Number(result.stdout) };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const mb = (bytes: number): string => (bytes / 1_000_000).toFixed(2);

/** `serverless package` into a fresh temporary directory (the developer's .serverless is left alone). */
export function packageFunctions(): { dir: string; zips: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'vpcf-bench-package-'));
  sh(join(ROOT, 'node_modules/.bin/serverless'), ['package', '--package', dir]);
  return { dir, zips: readdirSync(dir).filter((f) => f.endsWith('.zip')).sort() };
}

/** Unzips `zip` into a temporary directory, hands `work` the directory, its files and the handler file; then removes it. */
export async function withHandler<T>(zip: string, work: (dir: string, handler: string, files: string[]) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcf-cold-'));
  try {
    sh('unzip', ['-q', zip, '-d', dir]);
    const files = sh('find', ['.', '-type', 'f'], dir).trim().split('\n').map((f) => f.replace(/^\.\//, ''));
    const handler = files.find((f) => /^functions\/[^/]+\.(c|m)?js$/.test(f));
    if (!handler) throw new Error(`${zip} holds no handler file`);
    return await work(dir, handler, files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<string> {
  const packaged = packageFunctions();
  const { zips } = packaged;

  // Warm the file cache once so the first timed run is not charged for the disk.
  timeNode('', ROOT);
  const empty: { wallMs: number; cpuMs: number }[] = [];
  const rows: string[] = [];
  for (const zip of zips) {
    await withHandler(join(packaged.dir, zip), (dir, handler, files) => {
      const code = readFileSync(join(dir, handler), 'utf8');
      const clients = [...new Set([...code.matchAll(SERVICE_ID)].map((m) => m[1] ?? ''))].sort();
      const maps = files.filter((f) => f.endsWith('.map')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      const load = `require('./${handler}')`;
      timeNode(load, dir);
      const times: { wallMs: number; cpuMs: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        empty.push(timeNode('', dir));
        times.push(timeNode(load, dir));
      }
      const wall = median(times.map((t) => t.wallMs));
      const cpu = median(times.map((t) => t.cpuMs));
      const zipBytes = statSync(join(packaged.dir, zip)).size;
      const handlerBytes = statSync(join(dir, handler)).size;
      const emptyWall = median(empty.map((t) => t.wallMs));
      const emptyCpu = median(empty.map((t) => t.cpuMs));
      rows.push(
        `| ${zip.replace(/\.zip$/, '')} | ${mb(zipBytes)} | ${mb(handlerBytes)} | ${mb(maps)} | ${clients.join(', ') || 'none'} | ${wall.toFixed(0)} | ${(wall / emptyWall).toFixed(2)}× | ${cpu.toFixed(0)} | ${(cpu / emptyCpu).toFixed(2)}× |`,
      );
    });
  }
  rmSync(packaged.dir, { recursive: true, force: true });
  return [
    '## Bundles and cold require (`npm run bench -- cold`)',
    '',
    `\`serverless package\`, then a cold \`require\` of each handler file in a fresh \`node\` (${process.version}), median of ${RUNS}, against an empty \`node -e ''\`: ${median(empty.map((t) => t.wallMs)).toFixed(0)} ms wall, ${median(empty.map((t) => t.cpuMs)).toFixed(0)} ms CPU (median of ${empty.length}). Wall time is what a cold start waits; CPU time (user + system of the process) is steadier when the machine is busy.`,
    '',
    '| function | zip MB | handler MB | source maps MB | SDK clients in the bundle (service IDs) | cold load ms | × empty node | CPU ms | × empty node CPU |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
