/** Schema validation that fails with an InputError naming the first bad field. */
import type { z } from 'zod';
import { InputError } from './errors.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root = 'payload'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const path = issue?.path.length ? issue.path.map(String).join('.') : root;
  const keys = issue?.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new InputError(issue?.code === 'unrecognized_keys' && issue.keys.length === 1 ? `${issue.path.length ? `${path}.` : ''}${issue.keys[0]}` : path, `${issue?.message ?? 'invalid'}${keys}`, { cause: result.error });
}
