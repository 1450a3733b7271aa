/**
 * The CloudFormation template `serverless package` builds: least-privilege IAM (every mutation
 * scoped by a condition), the state and dead-letter queue kept when the stack goes, an encrypted
 * topic every alarm tells, and a dashboard over what the functions write.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}
type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string; Condition?: string }>;

let resources: Resources;
let conditions: Record<string, unknown>;

beforeAll(() => {
  const template = JSON.parse(readFileSync(join(inject('packageDir'), 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Resources; Conditions: Record<string, unknown> };
  resources = template.Resources;
  conditions = template.Conditions;
});

const statementsOf = (role: string): Statement[] =>
  (resources[role]?.Properties['Policies'] as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
const actions = (s: Statement): string[] => [s.Action].flat();
const READ_ONLY = /^[a-z0-9]+:(Describe|Get|List|Query|BatchGet)/;

/** Statements that may act without a condition, and why. */
const UNCONDITIONED: Readonly<Record<string, string>> = {
  RunShellDocument: 'the resource is the one document, AWS-RunShellScript',
  ElasticIpsToMembers: 'Elastic IPs carry no tag of the contract; the ENI (by VPC) and instance (by tag) statements bound the association',
  LeaseAndJournal: 'the resource is the stage’s table',
  VerifyTheDataPlaneThroughTheSensor: 'the resource is the stage’s sensor function',
  Notify: 'the resource is the stage’s topic',
  StateBetweenRuns: 'the resource is the stage’s table',
  LambdaManagesItsVpcInterfaces: 'the AWS managed AWSLambdaVPCAccessExecutionRole policy, v3, which has none',
  FailedEventsToDeadLetterQueue: 'the resource is the stage’s dead-letter queue',
};

describe('the packaged template', () => {
  it.each(['FailoverRole', 'OnEventRole', 'ProbeRole', 'SensorRole'])('%s: every statement that changes something is scoped by a condition, or named here with why not', (role) => {
    for (const statement of statementsOf(role)) {
      const writes = actions(statement).filter((a) => !READ_ONLY.test(a) && !a.startsWith('logs:'));
      if (writes.length === 0 || statement.Condition) continue;
      expect(UNCONDITIONED, `${role}: ${statement.Sid ?? actions(statement).join(',')}`).toHaveProperty(statement.Sid ?? 'no-sid');
    }
  });

  it('scopes ENI changes to the vpcIds param through ec2:Vpc', () => {
    const eni = statementsOf('FailoverRole').find((s) => s.Sid === 'InterfacesOfTheDeployedVpcs');

    expect(actions(eni!).sort()).toEqual(['ec2:AssignPrivateIpAddresses', 'ec2:AssociateAddress', 'ec2:ModifyNetworkInterfaceAttribute']);
    expect(JSON.stringify(eni?.Condition)).toContain('"ArnLike":{"ec2:Vpc"');
    expect(JSON.stringify(eni?.Condition)).toContain('vpc-SET-vpcIds');
  });

  it('lets only the probe remediate, and only instances that carry failover:group', () => {
    const remediation = ['ec2:RebootInstances', 'ec2:StopInstances', 'ec2:StartInstances', 'ec2:TerminateInstances'];
    for (const role of ['FailoverRole', 'OnEventRole', 'SensorRole']) expect(statementsOf(role).flatMap(actions).filter((a) => remediation.includes(a))).toEqual([]);
    const probe = statementsOf('ProbeRole').find((s) => actions(s).includes('ec2:RebootInstances'));
    expect(actions(probe!).sort()).toEqual([...remediation].sort());
    expect(probe?.Condition).toEqual({ StringLike: { 'aws:ResourceTag/failover:group': '*' } });
  });

  it('gives the sensor exactly the EC2 actions of the AWS managed VPC access policy, and nothing else but its logs', () => {
    const granted = statementsOf('SensorRole').flatMap(actions).sort();

    expect(granted).toEqual(
      ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
  });

  it('writes no CloudWatch metric through the API: metrics go through the log', () => {
    for (const role of ['FailoverRole', 'OnEventRole', 'ProbeRole']) expect(statementsOf(role).flatMap(actions)).not.toContain('cloudwatch:PutMetricData');
  });

  it('keeps the state table and the dead-letter queue when the stack is removed or replaces them', () => {
    for (const name of ['StateTable', 'EventsDeadLetterQueue']) {
      expect(resources[name]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('encrypts the topic with a key that the account’s alarms may use', () => {
    expect(resources['NotificationsTopic']?.Properties['KmsMasterKeyId']).toEqual({ Ref: 'NotificationsKey' });
    const policy = resources['NotificationsKey']?.Properties['KeyPolicy'] as { Statement: (Statement & { Principal: unknown })[] };
    expect(policy.Statement).toContainEqual(expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }));
  });

  it('subscribes an email address and an HTTPS endpoint only when their params are set', () => {
    expect(resources['NotificationsByEmail']).toMatchObject({ Condition: 'NotifyEmail', Properties: { Protocol: 'email' } });
    expect(resources['NotificationsByHttps']).toMatchObject({ Condition: 'NotifyHttps', Properties: { Protocol: 'https' } });
    // The params are empty by default: neither subscription is created.
    expect(conditions['NotifyEmail']).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('tells the topic when each alarm fires and when it clears', () => {
    const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');

    expect(alarms.map(([name]) => name).sort()).toEqual(['EventsDeadLetterAlarm', 'FailedMoveAlarm', 'FunctionErrorsAlarm', 'NoHealthyMemberAlarm', 'ProbeHeartbeatAlarm', 'ProbeThrottledAlarm']);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties['AlarmActions']).toEqual([{ Ref: 'NotificationsTopic' }]);
      expect(alarm.Properties['OKActions']).toEqual([{ Ref: 'NotificationsTopic' }]);
    }
  });

  it('keeps the dead-man alarm apart from "no healthy member": missing data alarms one, and not the other', () => {
    expect(resources['ProbeHeartbeatAlarm']?.Properties).toMatchObject({ Statistic: 'SampleCount', TreatMissingData: 'breaching', EvaluationPeriods: 3 });
    expect(resources['NoHealthyMemberAlarm']?.Properties).toMatchObject({ Statistic: 'Maximum', TreatMissingData: 'notBreaching' });
  });

  it('builds a dashboard of valid JSON with the widgets operators need', () => {
    const body = (resources['Dashboard']?.Properties['DashboardBody'] as { 'Fn::Sub': string })['Fn::Sub'];
    const dashboard = JSON.parse(body.replaceAll(/\$\{[^}]+\}/g, 'X')) as { widgets: { type: string; properties: { title: string; alarms?: string[] } }[] };

    expect(dashboard.widgets.map((w) => w.properties.title)).toEqual([
      'Alarms',
      'Healthy members per group',
      'Moves per group, by outcome',
      'Detection time per group (ms, probe moves)',
      'Probe rounds per minute, groups without a healthy member',
      'Probe latency (ms)',
      'Events dead-letter queue',
      'Errors',
      'Throttles',
      'Duration (p50, ms)',
      'Moves that failed, notices not sent',
    ]);
    expect(body).toContain('${NoHealthyMemberAlarm.Arn}');
    expect(dashboard.widgets[0]?.properties.alarms).toHaveLength(6);
  });

  it('counts errors of either function in the errors alarm, even in a minute when the other has no data point', () => {
    const [expression] = (resources['FunctionErrorsAlarm']?.Properties['Metrics'] as { Id: string; Expression?: string }[]).filter((m) => m.Expression);

    expect(expression?.Expression).toBe('FILL(eventErrors, 0) + FILL(eventThrottles, 0) + FILL(probeErrors, 0)');
  });

  it('keeps Lambda’s per-invocation START and REPORT lines of the sensor, invoked every round, out of the log', () => {
    expect(resources['SensorLambdaFunction']?.Properties['LoggingConfig']).toEqual({ LogFormat: 'JSON', SystemLogLevel: 'WARN' });
    expect(resources['ProbeLambdaFunction']?.Properties['LoggingConfig']).toBeUndefined();
  });

  it('lets the failover and probe functions read only the probe’s state item, by its key', () => {
    for (const role of ['FailoverRole', 'ProbeRole']) {
      const reads = statementsOf(role).filter((s) => actions(s).includes('dynamodb:GetItem'));

      expect(reads, role).toHaveLength(1);
      expect(reads[0]?.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['probe#state'] } });
    }
  });

  it('puts the sensor in the subnets and security groups of the comma-separated params', () => {
    expect(resources['SensorLambdaFunction']?.Properties['VpcConfig']).toEqual({
      SecurityGroupIds: { 'Fn::Split': [',', 'sg-SET-sensorSecurityGroupIds'] },
      SubnetIds: { 'Fn::Split': [',', 'subnet-SET-sensorSubnetIds'] },
    });
  });

  it('sizes the probe and the sensor at 128 MB', () => {
    expect(resources['ProbeLambdaFunction']?.Properties['MemorySize']).toBe(128);
    expect(resources['SensorLambdaFunction']?.Properties['MemorySize']).toBe(128);
  });
});
