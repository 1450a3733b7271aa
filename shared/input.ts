/**
 * Schema validation with zod's mini build (tree-shakable: the full build alone tripled a bundle).
 * The mini build ships no messages for its built-in checks, so the English ones are passed per
 * parse; a schema's own message ('must be an instance ID') still wins.
 */
import { en } from 'zod/locales';
import type * as z from 'zod/mini';
import { InputError } from './errors.js';

let english: z.core.$ZodErrorMap | undefined;

/** `schema.safeParse(value)` with English messages for zod's own checks. */
export function safeParse<S extends z.ZodMiniType>(schema: S, value: unknown): z.core.util.SafeParseResult<z.infer<S>> {
  return schema.safeParse(value, { error: (english ??= en().localeError) });
}

/** Parses `value` or throws an InputError naming the first bad field. */
export function parseInput<S extends z.ZodMiniType>(schema: S, value: unknown, root = 'payload'): z.infer<S> {
  const result = safeParse(schema, value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const path = issue?.path.length ? issue.path.map(String).join('.') : root;
  const keys = issue?.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new InputError(issue?.code === 'unrecognized_keys' && issue.keys.length === 1 ? `${issue.path.length ? `${path}.` : ''}${issue.keys[0]}` : path, `${issue?.message ?? 'invalid'}${keys}`, { cause: result.error });
}
