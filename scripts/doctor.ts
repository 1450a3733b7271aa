/**
 * `npm run doctor`: the read-only preflight, with the caller's own credentials (the SDK's default
 * chain: AWS_PROFILE, AWS_REGION, …). AWS_ENDPOINT_URL points every client elsewhere (the tests'
 * moto). Exit status: 0 no blocker, 1 a blocker, 2 bad usage or a failed read.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createDoctorReads } from '../shared/aws/doctor-reads.js';
import { createEc2Port } from '../shared/aws/ec2.js';
import { createSsmHostPort } from '../shared/aws/ssm.js';
import { systemClock } from '../shared/core/ports.js';
import { DOCTOR_HELP, parseDoctorArgs } from '../shared/doctor/args.js';
import { diagnose } from '../shared/doctor/diagnose.js';
import { gatherFacts } from '../shared/doctor/gather.js';
import { exitCodeOf, renderReport } from '../shared/doctor/report.js';

/** The discovery defaults of a deployment with default params (serverless.yml). */
const DEFAULTS = { cooldownMs: 60_000, failback: { vip: 'manual', eip: 'manual', overlay: 'manual', nat: 'auto' } } as const;

/** --deep runs on the members doctor reports on (--group, --vpc), with 40 s for the answers. */
function deepOptions(request: { readonly group?: string; readonly vpcId?: string }, ssm: SSMClient) {
  return {
    host: createSsmHostPort(ssm, { clock: systemClock, comment: 'vpc-failover doctor --deep' }),
    clock: systemClock,
    timeoutMs: 40_000,
    ...(request.group ? { group: request.group } : {}),
    ...(request.vpcId ? { vpcId: request.vpcId } : {}),
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const request = parseDoctorArgs(argv);
  if (request.kind === 'help') {
    process.stdout.write(`${DOCTOR_HELP}\n`);
    return 0;
  }
  if (request.kind === 'error') {
    process.stderr.write(`doctor: ${request.message}\n`);
    return 2;
  }
  const options = { ...(request.region ? { region: request.region } : {}), maxAttempts: 4 };
  const ec2 = new EC2Client(options);
  const region = await ec2.config.region().catch(() => undefined);
  if (!region) {
    process.stderr.write('doctor: no Region: give --region, or set AWS_REGION or a region in the AWS profile\n');
    return 2;
  }
  const ssm = new SSMClient(options);
  const reads = createDoctorReads({ ec2, ssm, lambda: new LambdaClient(options) });
  process.stderr.write(`doctor: reading ${region} (Describe and Get calls only)\n`);
  if (request.deep) process.stderr.write("doctor: --deep sends one SSM command to each running member ('command -v ip', one ping to each peer)\n");
  const facts = await gatherFacts({
    region,
    stage: request.stage,
    ec2: createEc2Port(ec2),
    reads,
    ...(request.sensorSubnetIds && request.sensorSecurityGroupIds ? { sensor: { subnetIds: request.sensorSubnetIds, securityGroupIds: request.sensorSecurityGroupIds } } : {}),
    ...(request.vpcIds ? { vpcIds: request.vpcIds } : {}),
    ...(request.deep ? { deep: deepOptions(request, ssm) } : {}),
  });
  const report = diagnose(facts, {
    defaults: DEFAULTS,
    ...(request.group ? { group: request.group } : {}),
    ...(request.vpcId ? { vpcId: request.vpcId } : {}),
    planDeploy: request.planDeploy,
  });
  process.stdout.write(`${request.json ? JSON.stringify(report, null, 2) : renderReport(report)}\n`);
  return exitCodeOf(report);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`doctor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
