/**
 * The command line of `npm run doctor`: parsed into a request, help, or one error line naming the
 * bad option. Every ID is validated here, so nothing malformed reaches an AWS call.
 */
import { readOptions } from '../cli-options.js';

export type DoctorRequest =
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string }
  | {
      readonly kind: 'run';
      readonly vpcId?: string;
      readonly group?: string;
      readonly json: boolean;
      readonly region?: string;
      readonly stage: string;
      readonly sensorSubnetIds?: readonly string[];
      readonly sensorSecurityGroupIds?: readonly string[];
      readonly vpcIds?: readonly string[];
      readonly planDeploy: boolean;
      /** Send one harmless SSM command per running member. */
      readonly deep: boolean;
    };

const PATTERNS = {
  vpc: [/^vpc-[0-9a-f]{8,17}$/, 'a VPC ID (vpc-…)'],
  group: [/^[A-Za-z0-9_.:-]{1,64}$/, 'a group name (1 to 64 of A-Z a-z 0-9 _ . : -)'],
  region: [/^[a-z]{2}(-[a-z]+)+-\d$/, 'a Region name such as eu-west-1'],
  stage: [/^[A-Za-z0-9-]{1,32}$/, 'a stage name (letters, digits, dashes)'],
  'sensor-subnets': [/^subnet-[0-9a-f]{8,17}(,subnet-[0-9a-f]{8,17})*$/, 'comma-separated subnet IDs'],
  'sensor-security-groups': [/^sg-[0-9a-f]{8,17}(,sg-[0-9a-f]{8,17})*$/, 'comma-separated security group IDs'],
  'vpc-ids': [/^vpc-[0-9a-f]{8,17}(,vpc-[0-9a-f]{8,17})*$/, 'comma-separated VPC IDs'],
} as const satisfies Record<string, readonly [RegExp, string]>;
type Valued = keyof typeof PATTERNS;
const VALUED = Object.keys(PATTERNS) as Valued[];
const FLAGS = ['json', 'plan-deploy', 'deep', 'help'];

export function parseDoctorArgs(argv: readonly string[]): DoctorRequest {
  const read = readOptions(argv, { valued: VALUED, flags: FLAGS, hint: '(see --help)' });
  if (!read.ok) return { kind: 'error', message: read.message };
  const { values, flags } = read;
  for (const name of VALUED) {
    const value = values.get(name);
    const [pattern, what] = PATTERNS[name];
    if (value !== undefined && !pattern.test(value)) return { kind: 'error', message: `--${name} must be ${what}, got '${value}'` };
  }
  if (flags.has('help')) return { kind: 'help' };
  if (values.has('sensor-subnets') !== values.has('sensor-security-groups')) {
    return { kind: 'error', message: '--sensor-subnets and --sensor-security-groups go together' };
  }
  const list = (key: Valued) => values.get(key)?.split(',');
  const sensorSubnetIds = list('sensor-subnets');
  const sensorSecurityGroupIds = list('sensor-security-groups');
  const vpcIds = list('vpc-ids');
  const vpcId = values.get('vpc');
  const group = values.get('group');
  const region = values.get('region');
  return {
    kind: 'run',
    ...(vpcId ? { vpcId } : {}),
    ...(group ? { group } : {}),
    json: flags.has('json'),
    ...(region ? { region } : {}),
    stage: values.get('stage') ?? 'dev',
    ...(sensorSubnetIds ? { sensorSubnetIds } : {}),
    ...(sensorSecurityGroupIds ? { sensorSecurityGroupIds } : {}),
    ...(vpcIds ? { vpcIds } : {}),
    planDeploy: flags.has('plan-deploy'),
    deep: flags.has('deep'),
  };
}

export const DOCTOR_HELP = [
  'Usage: npm run doctor -- [options]',
  '',
  'Checks, read-only, whether the tagged groups of this account and Region can fail over: tags,',
  'SSM registration, source/dest checks, NATAZ tables, VIP and EIP ownership, the sensor\'s way in',
  '(security groups, network ACLs, routes), instance state, vpcIds, private-IP quotas. Prints a table',
  'per group with what to change; before a first deploy, the deploy command with the IDs it found.',
  'Credentials: the AWS SDK\'s default chain (AWS_PROFILE, AWS_REGION, …). It changes nothing.',
  '',
  'Options:',
  '  --vpc vpc-…                 only the groups in this VPC',
  '  --group NAME                only this group',
  '  --json                      one JSON document on stdout instead of the table',
  '  --region R                  the Region (default: AWS_REGION, then the profile\'s)',
  '  --stage S                   the serverless stage to look for (default dev)',
  '  --sensor-subnets a,b        where the sensor runs or will run (default: the deployed sensor\'s)',
  '  --sensor-security-groups a  the sensor\'s security groups (with --sensor-subnets)',
  '  --vpc-ids a,b               the deployment\'s vpcIds (default: the deployed function\'s)',
  '  --plan-deploy               print the deploy command even when the stage is deployed',
  "  --deep                      also send one harmless SSM command to each running member: is 'ip'",
  '                              there, does one ping reach each peer (it says so in the report)',
  '  --help                      this text',
  '',
  'Exit status: 0 no blocker, 1 a blocker, 2 bad usage or a failed read.',
].join('\n');
