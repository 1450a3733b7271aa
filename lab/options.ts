/**
 * The command line of `npm run lab`: parsed into what to run, or help, or one error line naming the
 * bad option. Pure, so every form is a unit test.
 */
import { readOptions } from '../shared/cli-options.js';

/** What the command line asks for. */
export type LabRequest =
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string }
  | {
      readonly kind: 'run';
      /** Scenario names, in order. */
      readonly scenarios: readonly string[];
      readonly trials: number;
      readonly json: boolean;
      /** Also print the controller's own log lines (info and up) to stderr. */
      readonly verbose: boolean;
      /** Seeds the fault timing; undefined: a fresh seed per run. */
      readonly seed: number | undefined;
      /** Whether missing Debian packages may be installed (root, apt); `--no-install` says no. */
      readonly install: boolean;
      /** How long the `chaos` scenario runs; only with `--scenario chaos`. */
      readonly minutes: number;
    };

export interface ScenarioCatalog {
  /** Every scenario, in the order `--help` lists them. */
  readonly names: readonly string[];
  /** What runs without `--scenario`. */
  readonly defaults: readonly string[];
}

export const MAX_TRIALS = 1_000;
/** The `chaos` scenario: how long by default, and at most (a day). */
export const CHAOS_MINUTES = 10;
export const MAX_CHAOS_MINUTES = 1_440;

const VALUED = ['scenario', 'trials', 'seed', 'minutes'];
const FLAGS = ['json', 'verbose', 'no-install', 'help'];
const HINT = `(options: ${[...VALUED, ...FLAGS].map((name) => `--${name}`).join(', ')})`;

function wholeNumber(option: string, raw: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(raw)) return `${option} must be a whole number, not '${raw}'`;
  const value = Number(raw);
  if (value < min || value > max) return `${option} must be from ${min} to ${max}, not ${raw}`;
  return value;
}

/** Parses the arguments after `npm run lab --`. */
export function parseLabArgs(argv: readonly string[], catalog: ScenarioCatalog): LabRequest {
  const read = readOptions(argv, { valued: VALUED, flags: FLAGS, hint: HINT });
  if (!read.ok) return { kind: 'error', message: read.message };
  const { values, flags } = read;
  if (flags.has('help')) return { kind: 'help' };

  const scenario = values.get('scenario');
  if (scenario !== undefined && !catalog.names.includes(scenario)) {
    return { kind: 'error', message: `unknown scenario '${scenario}' (scenarios: ${catalog.names.join(', ')})` };
  }
  const trials = values.has('trials') ? wholeNumber('--trials', values.get('trials') ?? '', 1, MAX_TRIALS) : 1;
  if (typeof trials === 'string') return { kind: 'error', message: trials };
  const seed = values.has('seed') ? wholeNumber('--seed', values.get('seed') ?? '', 0, 2 ** 32 - 1) : undefined;
  if (typeof seed === 'string') return { kind: 'error', message: seed };
  if (values.has('minutes') && scenario !== 'chaos') return { kind: 'error', message: '--minutes goes with --scenario chaos' };
  const minutes = values.has('minutes') ? wholeNumber('--minutes', values.get('minutes') ?? '', 1, MAX_CHAOS_MINUTES) : CHAOS_MINUTES;
  if (typeof minutes === 'string') return { kind: 'error', message: minutes };
  if (scenario === 'chaos' && values.has('trials')) return { kind: 'error', message: '--trials does not go with --scenario chaos (one long run; --minutes sets its length)' };
  return { kind: 'run', scenarios: scenario === undefined ? [...catalog.defaults] : [scenario], trials, json: flags.has('json'), verbose: flags.has('verbose'), seed, install: !flags.has('no-install'), minutes };
}

/** `--help`: usage, options and the scenarios with what each shows. */
export function helpText(scenarios: readonly { readonly name: string; readonly summary: string; readonly inDefault: boolean }[]): string {
  const width = Math.max(...scenarios.map((s) => s.name.length));
  return [
    'Usage: npm run lab [-- options]',
    '',
    'Fails a VIP and a NAT over with the real controller on this machine: network namespaces stand in',
    'for the VPC, an in-memory EC2/SSM stands in for the AWS APIs, and clients measure the outage with',
    'real packets. Needs Linux and root; leaves nothing behind. As root with apt, it installs the',
    'Debian packages of any tool it lacks first (iproute2, iputils-ping, nftables, netcat-openbsd, …).',
    '',
    'Options:',
    '  --scenario NAME  run one scenario (default: every scenario marked *)',
    '  --trials N       run each scenario N times (default 1)',
    '  --json           print one JSON document on stdout (progress stays on stderr)',
    '  --seed N         seed for the moment each fault is injected (default: random); for chaos,',
    '                   the fault schedule (the same seed plays the same faults)',
    `  --minutes M      how long --scenario chaos runs (default ${CHAOS_MINUTES})`,
    "  --verbose        also print the controller's log to stderr",
    '  --no-install     never install missing packages (by default, run as root on Debian or Ubuntu,',
    '                   the lab installs the tools it lacks with apt-get, and says which)',
    '  --help           this text',
    '',
    'Scenarios:',
    ...scenarios.map((s) => `  ${s.inDefault ? '*' : ' '} ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    'Exit status: 0 every outcome as expected, 1 an outcome was wrong, 2 bad usage, 3 this machine cannot run the lab.',
  ].join('\n');
}
