/**
 * cfn-lint (AWS's CloudFormation linter, Python) on this machine: where it is, and running it on a
 * template. The machine image's python3 ships it; PyPI is where it comes from elsewhere
 * (`pip install cfn-lint`). With VPCF_REQUIRE_CFN_LINT=1 (CI) a machine without it fails the suite.
 */
import { spawnSync } from 'node:child_process';

/** cfn-lint's console script, for a python3 that has the module but no `cfn-lint` on PATH. */
const PYTHON_ENTRY = 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())';

export const cfnLintRequired = (): boolean => process.env['VPCF_REQUIRE_CFN_LINT'] === '1';

export type CfnLintCheck = { readonly ok: true; readonly command: readonly string[]; readonly version: string } | { readonly ok: false; readonly reason: string };

/** The `cfn-lint` on PATH, else the cfnlint module of the machine's python3; cfn-lint 1.x (its rules and JSON output). */
export function checkCfnLint(): CfnLintCheck {
  const tried: string[] = [];
  for (const command of [['cfn-lint'], ['python3', '-c', PYTHON_ENTRY]]) {
    const probe = spawnSync(command[0]!, [...command.slice(1), '--version'], { encoding: 'utf8', timeout: 60_000 });
    if (probe.error || probe.status !== 0) {
      tried.push(`${command[0] === 'python3' ? 'python3 cfnlint module' : command.join(' ')}: ${probe.error ? ((probe.error as NodeJS.ErrnoException).code ?? probe.error.message) : (probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`)}`);
      continue;
    }
    const version = /cfn-lint (\S+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim();
    if (!version.startsWith('1.')) return { ok: false, reason: `${command[0]} has cfn-lint ${version}; the suite needs cfn-lint 1.x` };
    return { ok: true, command, version };
  }
  return { ok: false, reason: `cfn-lint not found (${tried.join('; ')}); install AWS's cfn-lint 1.x in python3 (pip install cfn-lint)` };
}

/** One finding, as `cfn-lint -f json` reports it. */
export interface CfnLintFinding {
  readonly rule: string;
  readonly level: string;
  /** The template path, joined with '/': Resources/SensorLambdaFunction/Properties/… */
  readonly path: string;
  readonly message: string;
}

/** Runs cfn-lint's default rules (errors and warnings) on `template`. */
export function cfnLint(check: Extract<CfnLintCheck, { ok: true }>, template: string): CfnLintFinding[] {
  const run = spawnSync(check.command[0]!, [...check.command.slice(1), '-f', 'json', '--', template], { encoding: 'utf8', timeout: 180_000, maxBuffer: 16 << 20 });
  if (run.error) throw run.error;
  // Exit codes are a bit mask of error (2), warning (4) and informational (8) findings; 1 is a failure of cfn-lint itself.
  if (run.status === null || run.status & 1) throw new Error(`cfn-lint failed (exit ${run.status}): ${run.stderr}`);
  const findings = JSON.parse(run.stdout) as { Rule: { Id: string }; Level: string; Location: { Path: unknown[] | null }; Message: string }[];
  return findings.map((f) => ({ rule: f.Rule.Id, level: f.Level, path: (f.Location.Path ?? []).join('/'), message: f.Message }));
}
