/**
 * The functions as they ship: the test run's `serverless package`, then `serverless invoke local`,
 * which builds each handler with serverless-esbuild exactly as the package does, against moto.
 *
 * Invocations run in lanes: copies of the service (the project's files, node_modules linked) in a
 * temporary directory, each with its own build folder, so invocations in different lanes can run at
 * once and the developer's .serverless and .esbuild are never touched. Every process runs under
 * `timeout`, in its own process group, registered in `children`.
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Children, killGroup, tempDir } from './children.js';
import { CREDENTIALS, REGION } from './moto.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVERLESS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
/** V8's code cache for the CLI and the bundles: the same files compile once, not once per invocation. */
const COMPILE_CACHE = join(ROOT, 'node_modules', '.cache', 'vpcf-moto-compile');
export const STAGE = 'dev';

/** What a service copy leaves out: tests, docs, VCS and build output. */
const NOT_COPIED = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'coverage', 'test', 'docs']);

const INVOKE_TIMEOUT_SECONDS = 150;
/**
 * Failures after which the CLI prints its error and then never exits (esbuild's service keeps it
 * alive): a build error, or a handler that throws while it is loaded.
 */
const STUCK_AFTER = /Build failed with \d+ error|Exception encountered when loading/;
const STUCK_GRACE_MS = 2_000;

/**
 * Settings passed to the functions with `--env KEY=VALUE`, on top of serverless.yml's
 * provider.environment. The functions refuse unknown VPCF_ keys and empty values (shared/config.ts):
 * when main adds or renames a setting, this is the one place to adapt. serverless.yml's defaults
 * are what the suites prove, so nothing is overridden today.
 */
export const FUNCTION_SETTINGS: Readonly<Record<string, string>> = {};

/**
 * The environment of every serverless process: this machine's, minus whatever could point the CLI,
 * the SDK or the functions elsewhere (AWS_*, VPCF_*, the test runner's own variables), plus, for
 * invocations, moto's endpoint, dummy credentials and the region.
 */
export function serverlessEnv(endpoint?: string): NodeJS.ProcessEnv {
  const dropped = /^(AWS_|VPCF_|VITEST|NODE_OPTIONS$|NODE_V8_COVERAGE$|NODE_ENV$|TEST$)/;
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !dropped.test(key)));
  env['NODE_COMPILE_CACHE'] = COMPILE_CACHE;
  env['AWS_EC2_METADATA_DISABLED'] = 'true';
  env['AWS_CONFIG_FILE'] = '/dev/null';
  env['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null';
  if (endpoint === undefined) {
    // `serverless package` needs no account: README's offline build.
    return { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
  }
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
  };
}

export interface Run {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the serverless CLI in `cwd` under `timeout`, in its own process group. */
function serverless(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; seconds: number; children: Children }): Promise<Run> {
  const started = Date.now();
  const child = spawn('timeout', ['-k', '5', String(options.seconds), process.execPath, SERVERLESS, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  options.children.add(child);
  let stdout = '';
  let stderr = '';
  let stuck: NodeJS.Timeout | undefined;
  const watch = () => {
    if (stuck === undefined && STUCK_AFTER.test(stdout + stderr)) stuck = setTimeout(() => void killGroup(child), STUCK_GRACE_MS);
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    watch();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    watch();
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      options.children.delete(child);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(stuck);
      options.children.delete(child);
      // Anything the CLI left behind in its group (esbuild's service) goes with it.
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // The group is empty: nothing was left behind.
      }
      resolve({ exitCode, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** What `serverless invoke local` printed last: the handler's result, or its error. */
export interface Invocation<T = unknown> extends Run {
  readonly ok: boolean;
  readonly result: T;
}

/** The function's output is the last pretty-printed JSON document; logs before it are one-line JSON. */
function lastDocument(stdout: string): unknown {
  const lines = stdout.split('\n');
  for (let start = lines.length - 1; start >= 0; start -= 1) {
    if (lines[start] !== '{' && lines[start] !== '[') continue;
    try {
      return JSON.parse(lines.slice(start).join('\n'));
    } catch {
      // Not the start of the final document; keep looking.
    }
  }
  return undefined;
}

/** A fixed set of items handed out one caller at a time. */
class Pool<T> {
  private readonly free: T[];
  private readonly waiting: ((item: T) => void)[] = [];
  constructor(items: readonly T[]) {
    this.free = [...items];
  }
  async use<R>(work: (item: T) => Promise<R>): Promise<R> {
    const item = this.free.pop() ?? (await new Promise<T>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(item);
    } finally {
      const next = this.waiting.shift();
      if (next) next(item);
      else this.free.push(item);
    }
  }
}

export interface CloudFormationTemplate {
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>>;
}

export interface Invoker {
  /** `serverless invoke local -f <name> --data <payload>`, in the next free lane. */
  invoke<T = unknown>(name: string, payload: unknown): Promise<Invocation<T>>;
}

export interface PackagedService {
  /** .serverless/cloudformation-template-update-stack.json, as `serverless package` wrote it. */
  readonly template: CloudFormationTemplate;
  /** The deployment artifacts `serverless package` wrote (.serverless/*.zip). */
  readonly artifacts: readonly string[];
  /** Invokes the functions with the SDK pointed at `endpoint`, and `settings` on top of FUNCTION_SETTINGS. */
  against(endpoint: string, settings?: Readonly<Record<string, string>>): Invoker;
  dispose(): void;
}

/**
 * Copies the service into `lanes` directories for `serverless invoke local`, and reads the template
 * and artifacts that the test run's one `serverless package` (test/setup/package.ts) wrote.
 */
export function packageService(options: { lanes: number; children: Children; packageDir: string }): PackagedService {
  const work = tempDir('service');
  const dispose = () => rmSync(work, { recursive: true, force: true });
  try {
    const lanes = Array.from({ length: options.lanes }, (_, index) => {
      const dir = join(work, `lane-${index}`);
      for (const entry of readdirSync(ROOT)) {
        if (!NOT_COPIED.has(entry)) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      return dir;
    });
    const out = options.packageDir;
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as CloudFormationTemplate;
    const artifacts = readdirSync(out).filter((f) => f.endsWith('.zip')).sort();

    const pool = new Pool(lanes);
    return {
      template,
      artifacts,
      against: (endpoint, settings = {}) => {
        const env = serverlessEnv(endpoint);
        const envArgs = Object.entries({ ...FUNCTION_SETTINGS, ...settings }).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
        return {
          invoke: <T>(name: string, payload: unknown) =>
            pool.use(async (cwd): Promise<Invocation<T>> => {
              const args = ['invoke', 'local', '-f', name, '--stage', STAGE, '--region', REGION, '--data', JSON.stringify(payload), ...envArgs];
              const run = await serverless(args, { cwd, env, seconds: INVOKE_TIMEOUT_SECONDS, children: options.children });
              const document = lastDocument(run.stdout);
              if (document === undefined) {
                throw new Error(`serverless invoke local -f ${name} printed no result (exit ${run.exitCode}):\n${run.stdout.slice(-4_000)}\n${run.stderr.slice(-4_000)}`);
              }
              return { ...run, ok: run.exitCode === 0, result: document as T };
            }),
        };
      },
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}
