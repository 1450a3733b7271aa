/** iam/vpc-arns.cjs: the vpcIds param as the ec2:Vpc values of the IAM statements, one Fn::Sub per VPC. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { vpcArns } = createRequire(import.meta.url)('../../iam/vpc-arns.cjs') as { vpcArns: (value: string) => unknown[] };

describe('vpcArns', () => {
  it('makes each VPC ID of the param an ARN of the stack’s partition, Region and account', () => {
    expect(vpcArns('vpc-0123456789abcdef0,vpc-b')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/vpc-0123456789abcdef0' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/vpc-b' },
    ]);
  });

  it.each([
    ['a space after a comma', 'vpc-a, vpc-b', '" vpc-b"'],
    ['an empty param', '', '""'],
    ['a trailing comma', 'vpc-a,', '""'],
    ['a subnet ID', 'subnet-0123', '"subnet-0123"'],
    ['an ARN in place of an ID', 'arn:aws:ec2:us-east-1:1:vpc/vpc-a', 'arn:aws'],
  ])('refuses %s when the service is packaged, naming the param and the value', (_, value, shown) => {
    expect(() => vpcArns(value)).toThrow(/^param vpcIds: /);
    expect(() => vpcArns(value)).toThrow(shown);
  });
});
