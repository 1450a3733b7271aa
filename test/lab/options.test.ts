/** The command line of `npm run lab`: every form a user may type, and one clear line for each mistake. */
import { describe, expect, it } from 'vitest';
import { helpText, parseLabArgs } from '../../lab/options.js';

const catalog = { names: ['vip-silent', 'nat-dead', 'flaky', 'chaos'], defaults: ['vip-silent', 'nat-dead'] };

describe('lab options', () => {
  it('runs every default scenario once, for people, when given nothing', () => {
    const request = parseLabArgs([], catalog);

    expect(request).toEqual({ kind: 'run', scenarios: ['vip-silent', 'nat-dead'], trials: 1, json: false, verbose: false, seed: undefined, install: true, minutes: 10 });
  });

  it.each([
    [['--scenario', 'flaky', '--trials', '20', '--json']],
    [['--scenario=flaky', '--trials=20', '--json']],
    [['--json', '--trials', '20', '--scenario', 'flaky']],
  ])('takes one scenario, a trial count and --json in any order and form: %j', (argv) => {
    const request = parseLabArgs(argv, catalog);

    expect(request).toMatchObject({ kind: 'run', scenarios: ['flaky'], trials: 20, json: true });
  });

  it('takes --no-install, which keeps the lab from installing missing packages', () => {
    expect(parseLabArgs(['--no-install'], catalog)).toMatchObject({ kind: 'run', install: false });
    expect(parseLabArgs(['--no-install=yes'], catalog)).toEqual({ kind: 'error', message: '--no-install takes no value' });
  });

  it('takes a seed and --verbose', () => {
    expect(parseLabArgs(['--seed', '42', '--verbose'], catalog)).toMatchObject({ seed: 42, verbose: true });
  });

  it('runs chaos for the minutes given, ten by default', () => {
    expect(parseLabArgs(['--scenario', 'chaos', '--minutes', '60', '--seed', '7'], catalog)).toMatchObject({ kind: 'run', scenarios: ['chaos'], minutes: 60, seed: 7 });
    expect(parseLabArgs(['--scenario', 'chaos'], catalog)).toMatchObject({ kind: 'run', scenarios: ['chaos'], minutes: 10 });
  });

  it.each([[['--help']], [['-h']], [['--scenario', 'nope', '--help']]])('answers help for %j, whatever else is given', (argv) => {
    expect(parseLabArgs(argv, catalog)).toEqual({ kind: 'help' });
  });

  it.each([
    [['--scenario', 'nope'], "unknown scenario 'nope' (scenarios: vip-silent, nat-dead, flaky, chaos)"],
    [['--trails', '3'], "unknown option '--trails'"],
    [['vip-silent'], "unexpected argument 'vip-silent'"],
    [['--trials', '0'], '--trials must be from 1 to 1000, not 0'],
    [['--trials', 'many'], "--trials must be a whole number, not 'many'"],
    [['--trials', '2.5'], "--trials must be a whole number, not '2.5'"],
    [['--trials'], '--trials needs a value'],
    [['--scenario', '--json'], '--scenario needs a value'],
    [['--trials', '2', '--trials', '3'], '--trials given twice'],
    [['--json=yes'], '--json takes no value'],
    [['--seed', '-1'], "--seed must be a whole number, not '-1'"],
    [['--minutes', '5'], '--minutes goes with --scenario chaos'],
    [['--scenario', 'flaky', '--minutes', '5'], '--minutes goes with --scenario chaos'],
    [['--scenario', 'chaos', '--minutes', '0'], '--minutes must be from 1 to 1440, not 0'],
    [['--scenario', 'chaos', '--trials', '2'], '--trials does not go with --scenario chaos'],
  ])('refuses %j, naming the problem', (argv, message) => {
    const request = parseLabArgs(argv, catalog);

    expect(request.kind).toBe('error');
    expect(request.kind === 'error' ? request.message : '').toContain(message);
  });

  it('lists every scenario in the help, marking the default ones', () => {
    const text = helpText([
      { name: 'vip-silent', summary: 'the holder hangs', inDefault: true },
      { name: 'flaky', summary: 'loss, no fault', inDefault: false },
    ]);

    expect(text).toContain('  * vip-silent  the holder hangs');
    expect(text).toContain('    flaky       loss, no fault');
    expect(text).toContain('--scenario NAME');
  });
});
