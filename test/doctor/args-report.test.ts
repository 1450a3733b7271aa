/** `npm run doctor`'s command line, and its report for people. */
import { describe, expect, it } from 'vitest';
import { parseDoctorArgs } from '../../shared/doctor/args.js';
import { diagnose } from '../../shared/doctor/diagnose.js';
import type { DoctorFacts } from '../../shared/doctor/model.js';
import { renderReport } from '../../shared/doctor/report.js';
import { DEFAULTS, ID, changeInstance, healthyFacts } from './support/facts.js';

describe('doctor options', () => {
  it('checks every group of the default stage when given nothing', () => {
    expect(parseDoctorArgs([])).toEqual({ kind: 'run', json: false, stage: 'dev', planDeploy: false, deep: false });
  });

  it('takes every option, in both forms', () => {
    expect(
      parseDoctorArgs(['--vpc', 'vpc-0123456789abcdef0', '--group=web', '--json', '--region', 'eu-west-1', '--stage=prod', '--sensor-subnets', 'subnet-0123456789abcdef0,subnet-0fedcba9876543210', '--sensor-security-groups', 'sg-0123456789abcdef0', '--vpc-ids=vpc-0123456789abcdef0', '--plan-deploy', '--deep']),
    ).toEqual({
      kind: 'run',
      vpcId: 'vpc-0123456789abcdef0',
      group: 'web',
      json: true,
      region: 'eu-west-1',
      stage: 'prod',
      sensorSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      sensorSecurityGroupIds: ['sg-0123456789abcdef0'],
      vpcIds: ['vpc-0123456789abcdef0'],
      planDeploy: true,
      deep: true,
    });
  });

  it.each([
    [['--vpc', 'vpc-1;reboot'], "--vpc must be a VPC ID (vpc-…), got 'vpc-1;reboot'"],
    [['--group', 'web tier'], "--group must be a group name (1 to 64 of A-Z a-z 0-9 _ . : -), got 'web tier'"],
    [['--region', 'moon'], "--region must be a Region name such as eu-west-1, got 'moon'"],
    [['--sensor-subnets', 'subnet-0123456789abcdef0'], '--sensor-subnets and --sensor-security-groups go together'],
    [['--deeper'], "unknown option '--deeper' (see --help)"],
    [['web'], "unexpected argument 'web' (see --help)"],
    [['--group'], '--group needs a value'],
    [['--json=yes'], '--json takes no value'],
    [['--group', 'web', '--group', 'db'], '--group given twice'],
  ])('refuses %j: %s', (argv, message) => {
    expect(parseDoctorArgs(argv)).toEqual({ kind: 'error', message });
  });

  it('answers help', () => {
    expect(parseDoctorArgs(['--group', 'web', '-h'])).toEqual({ kind: 'help' });
  });
});

describe('the report for people', () => {
  it('shows one row per check, each problem with its fix, and the totals', () => {
    const facts = healthyFacts();
    delete facts.ssm.pingStatus[ID.webB];
    changeInstance(facts, ID.pubB, (i) => ({ ...i, state: 'stopped' }));

    const text = renderReport(diagnose(facts as DoctorFacts, { defaults: DEFAULTS, group: 'web' }));

    expect(text.split('\n').slice(0, 6)).toEqual([
      'vpc-failover doctor: us-east-1, stage dev, deployed; sensor in subnet-sa with sg-sensor (given)',
      'read-only: nothing was changed',
      '',
      'group web (vip, vpc-0000000000000000a)',
      '  tags          ok       vip of 2 member(s), tags agree',
      '  vpc-scope     ok       vpc-0000000000000000a is in vpcIds',
    ]);
    expect(text).toContain(
      [
        '  ssm           BLOCKER  i-000000000000000b1 is not registered with SSM: no peer probes, no OS-side',
        '                         address moves',
        '                         fix: run the SSM agent, and give it a path to SSM (a NAT, or the ssm,',
      ].join('\n'),
    );
    expect(text.endsWith('1 group(s): 1 blocker(s), 0 warning(s): a failover cannot work until the blockers are fixed')).toBe(true);
  });

  it('ends with the first deploy when the stage is not deployed', () => {
    const facts = healthyFacts();
    facts.deployed = false;

    const text = renderReport(diagnose(facts as DoctorFacts, { defaults: DEFAULTS }));

    expect(text).toContain('No deployment of this stage found. The first deploy, from what doctor found:\n\n  npx serverless deploy --stage dev --region us-east-1 \\\n      --param="vpcIds=vpc-0000000000000000a"');
  });
});
