/** The option grammar `npm run doctor` and `npm run lab` share: values, flags, and one line per mistake. */
import { describe, expect, it } from 'vitest';
import { readOptions } from '../../shared/cli-options.js';

const spec = { valued: ['group', 'seed'], flags: ['json', 'help'], hint: '(see --help)' };

describe('command-line options', () => {
  it.each([
    [['--group', 'web', '--json']],
    [['--json', '--group=web']],
  ])('reads a value and a flag in either form and order: %j', (argv) => {
    const read = readOptions(argv, spec);

    expect(read).toEqual({ ok: true, values: new Map([['group', 'web']]), flags: new Set(['json']) });
  });

  it('takes -h for --help', () => {
    expect(readOptions(['-h'], spec)).toEqual({ ok: true, values: new Map(), flags: new Set(['help']) });
  });

  it('takes a value that starts with one dash, such as a negative number, for the option to judge', () => {
    expect(readOptions(['--seed', '-1'], spec)).toEqual({ ok: true, values: new Map([['seed', '-1']]), flags: new Set() });
  });

  it.each([
    [['--grup', 'web'], "unknown option '--grup' (see --help)"],
    [['--grup=web'], "unknown option '--grup' (see --help)"],
    [['-x'], "unknown option '-x' (see --help)"],
    [['web'], "unexpected argument 'web' (see --help)"],
    [['--', '--json'], "unexpected argument '--' (see --help)"],
    [['--group'], '--group needs a value'],
    [['--group='], '--group needs a value'],
    [['--group', '--json'], '--group needs a value'],
    [['--json=yes'], '--json takes no value'],
    [['--group', 'a', '--group=b'], '--group given twice'],
  ])('refuses %j: %s', (argv, message) => {
    expect(readOptions(argv, spec)).toEqual({ ok: false, message });
  });

  it('names the first mistake, even when help is asked for after it', () => {
    expect(readOptions(['--grup', 'web', '--help'], spec)).toEqual({ ok: false, message: "unknown option '--grup' (see --help)" });
  });
});
