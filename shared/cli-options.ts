/**
 * The option grammar the project's command lines share (`npm run doctor`, `npm run lab`):
 * node:util's parseArgs splits the arguments into tokens, and this turns them into values, or into
 * one error line that names the option, instead of parseArgs' own exceptions.
 */
import { parseArgs } from 'node:util';

/** The options a command takes, by long name without the dashes. */
export interface OptionSpec {
  /** Options that take a value (`--name value` or `--name=value`). */
  readonly valued: readonly string[];
  /** Options that take none; `help` also answers to `-h`. */
  readonly flags: readonly string[];
  /** Said after an unknown option or a stray argument, such as `(see --help)`. */
  readonly hint: string;
}

/** The values and flags given, by long name, or the first mistake. */
export type ReadOptions =
  | { readonly ok: true; readonly values: ReadonlyMap<string, string>; readonly flags: ReadonlySet<string> }
  | { readonly ok: false; readonly message: string };

/** Reads `argv`: each option at most once, a value never empty nor another `--option`. */
export function readOptions(argv: readonly string[], spec: OptionSpec): ReadOptions {
  const options = Object.fromEntries([
    ...spec.valued.map((name) => [name, { type: 'string' as const }] as const),
    ...spec.flags.map((name) => [name, name === 'help' ? { type: 'boolean' as const, short: 'h' } : { type: 'boolean' as const }] as const),
  ]);
  // Not strict: an unknown option, a stray argument or a flag given a value becomes a token that
  // is named below, where strict mode would throw parseArgs' own wording.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const fail = (message: string): ReadOptions => ({ ok: false, message });
  for (const token of tokens) {
    if (token.kind === 'positional') return fail(`unexpected argument '${token.value}' ${spec.hint}`);
    if (token.kind === 'option-terminator') return fail(`unexpected argument '--' ${spec.hint}`);
    const name = `--${token.name}`;
    if (spec.flags.includes(token.name)) {
      if (token.value !== undefined) return fail(`${name} takes no value`);
      flags.add(token.name);
    } else if (!spec.valued.includes(token.name)) {
      return fail(`unknown option '${token.rawName}' ${spec.hint}`);
    } else if (token.value === undefined || token.value === '' || (!token.inlineValue && token.value.startsWith('--'))) {
      return fail(`${name} needs a value`);
    } else if (values.has(token.name)) {
      return fail(`${name} given twice`);
    } else {
      values.set(token.name, token.value);
    }
  }
  return { ok: true, values, flags };
}
