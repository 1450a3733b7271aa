/**
 * Whether this machine can run the moto suites: an interpreter that imports moto 5.x, and coreutils'
 * `timeout` (every child of the suites runs under it, so none can outlive the run). One check, one
 * line that says what is missing.
 */
import { spawnSync } from 'node:child_process';

/** The interpreter that runs the launcher: the machine's python3, or the one VPCF_MOTO_PYTHON names. */
export const motoPython = (): string => process.env['VPCF_MOTO_PYTHON'] || 'python3';

/** Set by CI: a machine that cannot run the moto suites fails instead of skipping them. */
export const motoRequired = (): boolean => process.env['VPCF_REQUIRE_MOTO'] === '1';

export type MotoCheck = { readonly ok: true; readonly python: string; readonly version: string } | { readonly ok: false; readonly reason: string };

const HINT = "moto 5.x in the machine's python3, or VPCF_MOTO_PYTHON naming an interpreter that has it";

export function checkMoto(python: string = motoPython()): MotoCheck {
  const timeout = spawnSync('sh', ['-c', 'command -v timeout'], { encoding: 'utf8', timeout: 5_000 });
  if (timeout.status !== 0) return { ok: false, reason: "coreutils' timeout not found (Debian package coreutils)" };

  const probe = spawnSync(python, ['-c', 'import moto.server, sys; sys.stdout.write(moto.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error) {
    const why = (probe.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${python} not found` : probe.error.message;
    return { ok: false, reason: `${python} -m moto.server not available: ${why} (${HINT})` };
  }
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`;
    return { ok: false, reason: `${python} -m moto.server not found: ${last} (${HINT})` };
  }
  const version = probe.stdout.trim();
  if (!/^5\./.test(version)) return { ok: false, reason: `${python} has moto ${version}; the suites need ${HINT}` };
  return { ok: true, python, version };
}
