/**
 * The ec2:Vpc values of the IAM statements: one VPC ARN per ID of the vpcIds param, built when the
 * service is packaged (`${file(./iam/vpc-arns.cjs)}`).
 *
 * CloudFormation has no function that maps over a list, and an Fn::Join delimiter must be a literal
 * string, so the ARN prefix (partition, Region, account) cannot be put in front of each ID inside the
 * template. Here each ID becomes its own Fn::Sub, which CloudFormation resolves as it deploys.
 * The IDs are checked only for shape: the placeholder of an offline build must package too; the
 * functions refuse it at their first invocation (shared/config.ts).
 */
'use strict';

const VPC_ID = /^vpc-[A-Za-z0-9-]+$/;

/** @param {string} value the vpcIds param, comma-separated */
function vpcArns(value) {
  const ids = String(value).split(',');
  for (const id of ids) {
    if (!VPC_ID.test(id)) throw new Error(`param vpcIds: "${id}" is not a VPC ID (vpc-…); give the IDs comma-separated, without spaces`);
  }
  return ids.map((id) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:vpc/${id}` }));
}

module.exports = async ({ resolveVariable }) => vpcArns(await resolveVariable('param:vpcIds'));
module.exports.vpcArns = vpcArns;
