/**
 * cfn-lint on the packaged template: what CloudFormation would refuse (an Fn::Join delimiter that is
 * a function, a property of the wrong type) fails here before a deploy does. Every error fails the
 * test, and so does every warning that cfn-lint-accepted.json does not list with its reason.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type CfnLintFinding, cfnLint, cfnLintRequired } from './support/cfn-lint.js';

interface Accepted {
  readonly rule: string;
  readonly paths: readonly string[];
  readonly reason: string;
}

const accepted = (JSON.parse(readFileSync(join(import.meta.dirname, 'cfn-lint-accepted.json'), 'utf8')) as { accepted: Accepted[] }).accepted;
const isAccepted = (finding: CfnLintFinding): boolean =>
  finding.level === 'Warning' && accepted.some((a) => a.rule === finding.rule && a.paths.includes(finding.path));
const describeCfnLint = inject('cfnLint').ok || cfnLintRequired() ? describe : describe.skip;

describeCfnLint('cfn-lint on the packaged template', () => {
  beforeAll(() => {
    const check = inject('cfnLint');
    if (!check.ok) throw new Error(`VPCF_REQUIRE_CFN_LINT=1 but this machine cannot run cfn-lint: ${check.reason}`);
  });

  it('gives every accepted warning a reason', () => {
    expect(accepted.length).toBeGreaterThan(0);
    for (const a of accepted) {
      expect(a.rule, JSON.stringify(a)).toMatch(/^[WI]\d{4}$/);
      expect(a.paths.length, a.rule).toBeGreaterThan(0);
      expect(a.reason.length, a.rule).toBeGreaterThan(40);
    }
  });

  it('reports, as an error no list can accept, the Fn::Join whose delimiter is a function that CloudFormation refuses', { timeout: 180_000 }, () => {
    const check = inject('cfnLint');
    if (!check.ok) throw new Error(check.reason);
    const dir = mkdtempSync(join(tmpdir(), 'vpcf-cfn-lint-'));
    const vpcArns = { 'Fn::Split': [',', { 'Fn::Join': [{ 'Fn::Sub': ',arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/' }, ['vpc-a', 'vpc-b']] }] };
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:AssignPrivateIpAddresses', Resource: '*', Condition: { ArnLike: { 'ec2:Vpc': vpcArns } } }] };
    const role = { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] }, Policies: [{ PolicyName: 'p', PolicyDocument: policy }] } };
    writeFileSync(join(dir, 'template.json'), JSON.stringify({ Resources: { Role: role } }));

    try {
      const findings = cfnLint(check, join(dir, 'template.json'));

      expect(findings).toContainEqual(expect.objectContaining({ rule: 'E1018', level: 'Error' }));
      expect(findings.filter((f) => f.rule === 'E1018').every((f) => !isAccepted(f))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['serverless.yml’s defaults', 'packageDir'],
    ['the params a deployment sets', 'paramsPackageDir'],
  ] as const)('finds no error and no warning left unexplained, with %s', { timeout: 180_000 }, (_, dir) => {
    const check = inject('cfnLint');
    if (!check.ok) throw new Error(check.reason);

    const findings = cfnLint(check, join(inject(dir), 'cloudformation-template-update-stack.json'));

    const unexplained = findings.filter((f) => !isAccepted(f)).map((f) => `${f.rule} ${f.level} at ${f.path}: ${f.message}`);
    expect(unexplained).toEqual([]);
  });
});
