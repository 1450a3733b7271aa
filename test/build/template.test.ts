/**
 * The CloudFormation template `serverless package` builds, read as CloudFormation evaluates it
 * (test/support/cfn-eval.ts, in us-east-1 of account 123456789012): least-privilege IAM (every
 * mutation scoped by a condition), the state and dead-letter queue kept when the stack goes under
 * names the stack generates, an encrypted topic every alarm tells, metrics and alarms per stage, and
 * a dashboard over what the functions write.
 *
 * Two packages: serverless.yml's defaults, and the params of test/setup/package.ts (two VPCs, a
 * reserved concurrency for the probe, an email subscription, a drill schedule, the FIS experiment).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CfnEvaluator, type Template } from '../support/cfn-eval.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
type Resources = ReturnType<CfnEvaluator['resources']>;

const ARN = 'arn:aws:ec2:us-east-1:123456789012';
const ASG_ARN = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*';
const TAGGED_AS_MEMBER = { StringLike: { 'aws:ResourceTag/failover:group': '*' } };

/** serverless.yml's defaults, evaluated. */
let resources: Resources;
/** With the params of test/setup/package.ts, evaluated. */
let deployed: Resources;

const read = (dir: string): Template => JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;

beforeAll(() => {
  resources = new CfnEvaluator(read(inject('packageDir'))).resources();
  deployed = new CfnEvaluator(read(inject('paramsPackageDir'))).resources();
});

const statementsOf = (role: string, from: Resources = resources): Statement[] =>
  (from[role]?.Properties['Policies'] as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
const statement = (role: string, sid: string, from: Resources = resources): Statement => {
  const found = statementsOf(role, from).find((s) => s.Sid === sid);
  if (!found) throw new Error(`${role} has no statement ${sid}`);
  return found;
};
const actions = (s: Statement): string[] => [s.Action].flat();
const READ_ONLY = /^[a-z0-9]+:(Describe|Get|List|Query|BatchGet)/;
const MOVERS = ['FailoverRole', 'OnEventRole', 'ProbeRole'];

/** Statements that may act without a condition, and why. */
const UNCONDITIONED: Readonly<Record<string, string>> = {
  RunShellDocument: 'the resource is the one document, AWS-RunShellScript',
  LeaseAndJournal: 'the resource is the stage’s table',
  VerifyTheDataPlaneThroughTheSensor: 'the resource is the stage’s sensor function',
  SensorsAndWhereTheyRun: 'the resources are the stage’s sensor functions, each by its ARN',
  Notify: 'the resource is the stage’s topic',
  StateBetweenRuns: 'the resource is the stage’s table',
  LambdaManagesItsVpcInterfaces: 'the AWS managed AWSLambdaVPCAccessExecutionRole policy, v3, which has none',
  FailedEventsToDeadLetterQueue: 'the resource is the stage’s dead-letter queue',
};

describe('IAM of the packaged template, as CloudFormation resolves it', () => {
  it.each(['FailoverRole', 'OnEventRole', 'ProbeRole', 'SensorRole'])('%s: every statement that changes something is scoped by a condition, or named here with why not', (role) => {
    for (const s of statementsOf(role)) {
      const writes = actions(s).filter((a) => !READ_ONLY.test(a) && !a.startsWith('logs:'));
      if (writes.length === 0 || s.Condition) continue;
      expect(UNCONDITIONED, `${role}: ${s.Sid ?? actions(s).join(',')}`).toHaveProperty(s.Sid ?? 'no-sid');
    }
  });

  it.each(MOVERS)('%s: scopes ENI changes to exactly the VPCs of the vpcIds param, as ARNs of this partition, Region and account', (role) => {
    const eni = statement(role, 'InterfacesOfTheDeployedVpcs', deployed);

    expect(actions(eni).sort()).toEqual(['ec2:AssignPrivateIpAddresses', 'ec2:AssociateAddress', 'ec2:ModifyNetworkInterfaceAttribute']);
    expect(eni.Resource).toBe(`${ARN}:network-interface/*`);
    expect(eni.Condition).toEqual({ ArnLike: { 'ec2:Vpc': [`${ARN}:vpc/vpc-a`, `${ARN}:vpc/vpc-b`] } });
  });

  it('scopes ENI changes to the placeholder VPC when the vpcIds param is not given, so nothing can be changed', () => {
    expect(statement('ProbeRole', 'InterfacesOfTheDeployedVpcs').Condition).toEqual({ ArnLike: { 'ec2:Vpc': [`${ARN}:vpc/vpc-SET-vpcIds`] } });
  });

  it.each([
    ['RoutesOfNatTables', 'ec2:ResourceTag/NATAZ'],
    ['RoutesOfOverlayTables', 'ec2:ResourceTag/failover:overlay'],
  ])('lets %s change routes only in route tables of the vpcIds VPCs that carry %s', (sid, tag) => {
    for (const role of MOVERS) {
      const routes = statement(role, sid, deployed);

      expect(actions(routes).sort()).toEqual(['ec2:CreateRoute', 'ec2:ReplaceRoute']);
      expect(routes.Resource).toBe(`${ARN}:route-table/*`);
      expect(routes.Condition).toEqual({ StringLike: { [tag]: '*' }, ArnLike: { 'ec2:Vpc': [`${ARN}:vpc/vpc-a`, `${ARN}:vpc/vpc-b`] } });
    }
  });

  it('associates only Elastic IPs that carry failover:group themselves, and only to member instances', () => {
    const addresses = statementsOf('FailoverRole').filter((s) => actions(s).includes('ec2:AssociateAddress'));

    expect(addresses.map((s) => [s.Sid, s.Resource, s.Condition])).toEqual([
      ['InterfacesOfTheDeployedVpcs', `${ARN}:network-interface/*`, { ArnLike: { 'ec2:Vpc': [`${ARN}:vpc/vpc-SET-vpcIds`] } }],
      ['ElasticIpsToMembers', `${ARN}:elastic-ip/*`, TAGGED_AS_MEMBER],
      ['ElasticIpsToMemberInstances', `${ARN}:instance/*`, TAGGED_AS_MEMBER],
    ]);
  });

  it('lets only the probe remediate: reboot, stop and start members, replace Auto Scaling members through their group, terminate nothing', () => {
    const remediation = ['ec2:RebootInstances', 'ec2:StopInstances', 'ec2:StartInstances', 'ec2:TerminateInstances', 'autoscaling:TerminateInstanceInAutoScalingGroup'];
    for (const role of ['FailoverRole', 'OnEventRole', 'SensorRole']) expect(statementsOf(role).flatMap(actions).filter((a) => remediation.includes(a))).toEqual([]);
    expect(statementsOf('ProbeRole').flatMap(actions)).not.toContain('ec2:TerminateInstances');

    const members = statement('ProbeRole', 'RemediateMembersOnly');
    const replace = statement('ProbeRole', 'ReplaceAutoScalingMembersOnly');

    expect([actions(members).sort(), members.Resource, members.Condition]).toEqual([['ec2:RebootInstances', 'ec2:StartInstances', 'ec2:StopInstances'], `${ARN}:instance/*`, TAGGED_AS_MEMBER]);
    expect([actions(replace), replace.Resource, replace.Condition]).toEqual([['autoscaling:TerminateInstanceInAutoScalingGroup'], ASG_ARN, TAGGED_AS_MEMBER]);
  });

  it.each(MOVERS)('%s: may tell Spot one-time from persistent, on every resource (Describe calls have no resource-level permissions)', (role) => {
    const observe = statement(role, 'Observe');

    expect(observe.Resource).toBe('*');
    expect(actions(observe)).toEqual(expect.arrayContaining(['ec2:DescribeSpotInstanceRequests', 'ec2:DescribeInstances', 'ec2:DescribeNatGateways']));
    expect(actions(observe).every((a) => READ_ONLY.test(a))).toBe(true);
    // Auto Scaling membership is the instance's aws:autoscaling:groupName tag, which only Auto Scaling sets.
    expect(statementsOf(role).flatMap(actions)).not.toContain('autoscaling:DescribeAutoScalingInstances');
  });

  it('lets only the failover function read what doctor needs beyond the core: security groups, network ACLs, instance types, the sensor’s configuration', () => {
    const reads = statement('FailoverRole', 'DoctorReadsTheVpc');
    const sensor = statement('FailoverRole', 'DoctorReadsTheSensorPlacement');

    expect([actions(reads).sort(), reads.Resource, reads.Condition]).toEqual([['ec2:DescribeInstanceTypes', 'ec2:DescribeNetworkAcls', 'ec2:DescribeSecurityGroups'], '*', undefined]);
    expect([actions(sensor), sensor.Resource]).toEqual([['lambda:GetFunctionConfiguration'], 'arn:aws:lambda:us-east-1:123456789012:function:vpc-failover-dev-sensor']);
    for (const role of ['OnEventRole', 'SensorRole']) expect(statementsOf(role).flatMap(actions).filter((a) => a === 'lambda:GetFunctionConfiguration' || a === 'ec2:DescribeSecurityGroups')).toEqual([]);
    expect(statementsOf('ProbeRole').flatMap(actions)).not.toContain('ec2:DescribeSecurityGroups');
  });

  it('lets the probe invoke, and read the placement of, exactly the stage’s sensors: the main one alone by default', () => {
    const sensors = statement('ProbeRole', 'SensorsAndWhereTheyRun');

    expect([actions(sensors), sensors.Resource, sensors.Condition]).toEqual([['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'], ['arn:aws:lambda:us-east-1:123456789012:function:vpc-failover-dev-sensor'], undefined]);
    expect(statementsOf('ProbeRole').filter((s) => actions(s).includes('lambda:GetFunctionConfiguration')).map((s) => s.Sid)).toEqual(['SensorsAndWhereTheyRun']);
  });

  it('lets the failover function (status, doctor) ask whether SSM reaches the members, and no other', () => {
    const asks = (role: string) => statementsOf(role).filter((s) => actions(s).includes('ssm:DescribeInstanceInformation'));

    expect(asks('FailoverRole').map((s) => [s.Sid, s.Resource, s.Condition])).toEqual([['SsmReachOfMembers', '*', undefined]]);
    for (const role of ['OnEventRole', 'ProbeRole', 'SensorRole']) expect(asks(role)).toEqual([]);
  });

  it('gives the sensor exactly the EC2 actions of the AWS managed VPC access policy, and nothing else but its logs', () => {
    const granted = statementsOf('SensorRole').flatMap(actions).sort();

    expect(granted).toEqual(
      ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
  });

  it('writes no CloudWatch metric through the API: metrics go through the log', () => {
    for (const role of MOVERS) expect(statementsOf(role).flatMap(actions)).not.toContain('cloudwatch:PutMetricData');
  });

  it('lets the failover, on-event and probe functions read only the probe’s state items, by their partition key', () => {
    for (const role of ['FailoverRole', 'OnEventRole', 'ProbeRole']) {
      const reads = statementsOf(role).filter((s) => actions(s).includes('dynamodb:GetItem'));

      expect(reads.map((s) => [s.Resource, s.Condition]), role).toEqual([['{{StateTable.Arn}}', { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['probe#state'] } }]]);
    }
  });

  it('writes each function’s logs only to its own log group', () => {
    for (const [role, fn] of [['FailoverRole', 'failover'], ['OnEventRole', 'onEvent'], ['ProbeRole', 'probe'], ['SensorRole', 'sensor']]) {
      const logs = statementsOf(role!).find((s) => actions(s).includes('logs:PutLogEvents'));
      expect([logs?.Resource].flat()).toEqual([`arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/vpc-failover-dev-${fn}:*`]);
    }
  });
});

describe('resources kept when the stack goes', () => {
  const NAME_PROPERTIES = ['TableName', 'QueueName', 'TopicName', 'BucketName', 'FunctionName', 'LogGroupName', 'RoleName', 'AliasName', 'Name'];

  it('keeps the state table and the dead-letter queue when the stack is removed or replaces them', () => {
    for (const name of ['StateTable', 'EventsDeadLetterQueue']) {
      expect(resources[name]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('lets CloudFormation name every retained resource, so a deploy after a remove never meets the old one’s name', () => {
    // The framework keeps each function's versions too: they have no name of their own, and go with their function.
    const retained = Object.entries(resources).filter(([, r]) => (r['DeletionPolicy'] === 'Retain' || r['UpdateReplacePolicy'] === 'Retain') && r.Type !== 'AWS::Lambda::Version');

    expect(retained.map(([name]) => name).sort()).toEqual(['EventsDeadLetterQueue', 'StateTable']);
    for (const [name, r] of retained) expect(Object.keys(r.Properties).filter((p) => NAME_PROPERTIES.includes(p)), name).toEqual([]);
  });

  it('tells every function the table’s generated name', () => {
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

    expect(functions).toHaveLength(4);
    for (const [name, fn] of functions) expect((fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['VPCF_TABLE_NAME'], name).toBe('{{StateTable}}');
  });

  it('watches the dead-letter queue under its generated name, and lets only the stage’s rules send to it', () => {
    expect(resources['EventsDeadLetterAlarm']?.Properties['Dimensions']).toEqual([{ Name: 'QueueName', Value: '{{EventsDeadLetterQueue.QueueName}}' }]);
    const [policy] = (resources['EventsDeadLetterQueuePolicy']?.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement;
    expect(policy?.Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': ['ec2-state', 'spot', 'lifecycle'].map((rule) => `arn:aws:events:us-east-1:123456789012:rule/vpc-failover-dev-${rule}`) },
    });
  });
});

describe('the probe function', () => {
  it('reserves no concurrency by default, so that it deploys on an account with a concurrency quota of 10', () => {
    expect(resources['ProbeLambdaFunction']?.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('reserves the concurrency the probeReservedConcurrency param asks for', () => {
    expect(Number(deployed['ProbeLambdaFunction']?.Properties['ReservedConcurrentExecutions'])).toBe(1);
  });

  it('sizes the probe and the sensor at 128 MB', () => {
    expect(resources['ProbeLambdaFunction']?.Properties['MemorySize']).toBe(128);
    expect(resources['SensorLambdaFunction']?.Properties['MemorySize']).toBe(128);
  });

  it('keeps Lambda’s per-invocation START and REPORT lines of the sensor, invoked every round, out of the log', () => {
    expect(resources['SensorLambdaFunction']?.Properties['LoggingConfig']).toEqual({ LogFormat: 'JSON', SystemLogLevel: 'WARN' });
    expect(resources['ProbeLambdaFunction']?.Properties['LoggingConfig']).toBeUndefined();
  });

  it('creates the sensor’s own security group when no group is given: TCP out to the private ranges only, nothing in, in the first of vpcIds', () => {
    expect(resources['SensorLambdaFunction']?.Properties['VpcConfig']).toEqual({ SecurityGroupIds: ['{{SensorSecurityGroup}}'], SubnetIds: ['subnet-SET-sensorSubnetIds'] });
    const group = resources['SensorSecurityGroup'];
    expect(group?.Type).toBe('AWS::EC2::SecurityGroup');
    // The placeholder: a deploy without vpcIds fails at this resource, before any function exists.
    expect(group?.Properties['VpcId']).toBe('vpc-SET-vpcIds');
    expect(group?.Properties).not.toHaveProperty('SecurityGroupIngress');
    expect(group?.Properties['SecurityGroupEgress']).toEqual(
      ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map((cidr) => ({ IpProtocol: 'tcp', FromPort: 1, ToPort: 65535, CidrIp: cidr, Description: `members in ${cidr}` })),
    );
    expect(resources).toHaveProperty('SensorSecurityGroup');
    expect(deployed).not.toHaveProperty('SensorSecurityGroup');
  });

  it('puts the sensor in the subnets and security groups of the comma-separated params', () => {
    expect(deployed['SensorLambdaFunction']?.Properties['VpcConfig']).toEqual({
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
    });
  });
});

describe('the sensor fleet (sensorFleet)', () => {
  const A = 'Sensor0aaaaaaaaaaaaaaa1LambdaFunction';
  const B = 'Sensor0bbbbbbbbbbbbbbb2LambdaFunction';
  const fleetArns = ['sensor', 'sensor0aaaaaaaaaaaaaaa1', 'sensor0bbbbbbbbbbbbbbb2'];

  it('adds nothing to a deployment without one: no function, no security group, no VPCF_SENSOR_FLEET', () => {
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(4);
    expect(resources).not.toHaveProperty('FleetSensorSecurityGroup');
    expect(resources['ProbeLambdaFunction']?.Properties['Environment']).not.toHaveProperty('Variables.VPCF_SENSOR_FLEET');
  });

  it('places one sensor function in each subnet of the param, alone, with the sensor’s role and sizes', () => {
    expect(deployed[A]?.Properties['VpcConfig']).toEqual({ SecurityGroupIds: ['{{FleetSensorSecurityGroup}}'], SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1'] });
    expect(deployed[B]?.Properties['VpcConfig']).toEqual({ SecurityGroupIds: ['sg-0ccccccccccccccc3'], SubnetIds: ['subnet-0bbbbbbbbbbbbbbb2'] });
    for (const fn of [A, B]) {
      expect(deployed[fn]?.Properties).toMatchObject({ Handler: deployed['SensorLambdaFunction']?.Properties['Handler'], MemorySize: 128, Timeout: 10, LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN' } });
      expect(deployed[fn]?.Properties['Role']).toEqual(deployed['SensorLambdaFunction']?.Properties['Role']);
    }
  });

  it('tells the probe the fleet’s names, and lets it invoke and read exactly those functions and the main sensor', () => {
    const variables = (deployed['ProbeLambdaFunction']?.Properties['Environment'] as { Variables: Record<string, string> }).Variables;
    expect(variables['VPCF_SENSOR_FLEET']).toBe('vpc-failover-dev-sensor0aaaaaaaaaaaaaaa1,vpc-failover-dev-sensor0bbbbbbbbbbbbbbb2');
    expect(statement('ProbeRole', 'SensorsAndWhereTheyRun', deployed).Resource).toEqual(fleetArns.map((n) => `arn:aws:lambda:us-east-1:123456789012:function:vpc-failover-dev-${n}`));
  });

  it('lets each fleet sensor write only to its own log group', () => {
    const logs = statementsOf('SensorRole', deployed).find((s) => actions(s).includes('logs:PutLogEvents'));
    expect(logs?.Resource).toEqual(fleetArns.map((n) => `arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/vpc-failover-dev-${n}:*`));
  });

  it('lets the fleet’s own security group, in the sensor VPC, out to the egress endpoints only, nothing in', () => {
    const group = deployed['FleetSensorSecurityGroup'];
    expect(group?.Properties['VpcId']).toBe('vpc-0123456789abcdef0');
    expect(group?.Properties).not.toHaveProperty('SecurityGroupIngress');
    expect(group?.Properties['SecurityGroupEgress']).toEqual(
      ['1.1.1.1', '8.8.8.8', '9.9.9.9'].map((ip) => ({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: `${ip}/32`, Description: `egress endpoint ${ip}:443` })),
    );
  });
});

describe('drills', () => {
  it('gives the failover function the time of a whole drill, and no asynchronous retry of a scheduled one', () => {
    expect(resources['FailoverLambdaFunction']?.Properties['Timeout']).toBe(300);
    expect(resources['FailoverLambdaEvConf']?.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
  });

  it('lets the failover function read only this stage’s alarms, for a drill’s preflight', () => {
    expect(statement('FailoverRole', 'AlarmsOfThisStageForDrills')).toEqual({
      Sid: 'AlarmsOfThisStageForDrills',
      Effect: 'Allow',
      Action: 'cloudwatch:DescribeAlarms',
      Resource: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:vpc-failover-dev-*',
    });
    for (const role of ['OnEventRole', 'ProbeRole', 'SensorRole']) expect(statementsOf(role).flatMap(actions)).not.toContain('cloudwatch:DescribeAlarms');
  });

  it('schedules no drill by default', () => {
    const schedules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties['ScheduleExpression'] !== undefined);
    // The probe's minute is the only schedule.
    expect(schedules.map((r) => r.Properties['ScheduleExpression'])).toEqual(['rate(1 minute)']);
    expect(resources).not.toHaveProperty('DrillScheduleRule');
    expect(resources).not.toHaveProperty('DrillSchedulePermission');
  });

  it('invokes the failover function with a drill on the drillGroup at the drillSchedule, and lets only that rule invoke it', () => {
    expect(deployed['DrillScheduleRule']?.Properties).toEqual({
      Name: 'vpc-failover-dev-drill',
      Description: 'A failover drill on web (docs/operations.md, Drills)',
      ScheduleExpression: 'cron(0 10 ? * TUE *)',
      State: 'ENABLED',
      Targets: [{ Id: 'failover-drill', Arn: '{{FailoverLambdaFunction.Arn}}', Input: '{"action":"drill","group":"web"}' }],
    });
    expect(JSON.parse((deployed['DrillScheduleRule']?.Properties['Targets'] as { Input: string }[])[0]?.Input ?? '')).toEqual({ action: 'drill', group: 'web' });
    expect(deployed['DrillSchedulePermission']?.Properties).toEqual({
      FunctionName: '{{FailoverLambdaFunction.Arn}}',
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: '{{DrillScheduleRule.Arn}}',
    });
  });

  it('has no FIS experiment by default', () => {
    expect(resources).not.toHaveProperty('FisExperimentTemplate');
    expect(resources).not.toHaveProperty('FisRole');
  });

  it('stops one running member of fisGroup with FIS, starts it again after fisStartAfter, and stops the experiment on this stage’s alarms', () => {
    expect(deployed['FisExperimentTemplate']?.Properties).toEqual({
      Description: 'vpc-failover dev - stop one running member of web, start it after PT5M',
      RoleArn: '{{FisRole.Arn}}',
      Targets: {
        GroupMember: { ResourceType: 'aws:ec2:instance', ResourceTags: { 'failover:group': 'web' }, Filters: [{ Path: 'State.Name', Values: ['running'] }], SelectionMode: 'COUNT(1)' },
      },
      Actions: {
        StopOneMember: { ActionId: 'aws:ec2:stop-instances', Description: 'Stop one member; FIS starts it again after the duration', Parameters: { startInstancesAfterDuration: 'PT5M' }, Targets: { Instances: 'GroupMember' } },
      },
      StopConditions: ['NoHealthyMemberAlarm', 'ProbeHeartbeatAlarm', 'FailedMoveAlarm', 'FunctionErrorsAlarm', 'ProbeThrottledAlarm'].map((a) => ({ Source: 'aws:cloudwatch:alarm', Value: `{{${a}.Arn}}` })),
      Tags: { Name: 'vpc-failover-dev-stop-one-member' },
    });
  });

  it('lets FIS stop and start only instances tagged with fisGroup, and assume its role only for this account', () => {
    const role = deployed['FisRole']?.Properties as { AssumeRolePolicyDocument: { Statement: unknown[] } };
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'fis.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
    ]);
    expect(statement('FisRole', 'StopAndStartMembersOfTheGroup', deployed)).toEqual({
      Sid: 'StopAndStartMembersOfTheGroup',
      Effect: 'Allow',
      Action: ['ec2:StopInstances', 'ec2:StartInstances'],
      Resource: `${ARN}:instance/*`,
      Condition: { StringEquals: { 'aws:ResourceTag/failover:group': 'web' } },
    });
    expect(statementsOf('FisRole', deployed).flatMap(actions).sort()).toEqual(['ec2:DescribeInstances', 'ec2:StartInstances', 'ec2:StopInstances']);
  });
});

describe('notifications, alarms and the dashboard', () => {
  it('encrypts the topic with a key that the account’s alarms may use', () => {
    expect(resources['NotificationsTopic']?.Properties['KmsMasterKeyId']).toBe('{{NotificationsKey}}');
    const policy = resources['NotificationsKey']?.Properties['KeyPolicy'] as { Statement: (Statement & { Principal: unknown })[] };
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:*' } } }),
    );
  });

  it('subscribes an email address only when its param is set', () => {
    expect(resources).not.toHaveProperty('NotificationsByEmail');
    expect(resources).not.toHaveProperty('NotificationsByHttps');
    expect(deployed['NotificationsByEmail']?.Properties).toEqual({ TopicArn: '{{NotificationsTopic}}', Protocol: 'email', Endpoint: 'ops@example.com' });
    expect(deployed).not.toHaveProperty('NotificationsByHttps');
  });

  it('tells the topic when each alarm fires and when it clears', () => {
    const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');

    expect(alarms.map(([name]) => name).sort()).toEqual(['EventsDeadLetterAlarm', 'FailedMoveAlarm', 'FunctionErrorsAlarm', 'NoHealthyMemberAlarm', 'ProbeHeartbeatAlarm', 'ProbeThrottledAlarm']);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties['AlarmActions']).toEqual(['{{NotificationsTopic}}']);
      expect(alarm.Properties['OKActions']).toEqual(['{{NotificationsTopic}}']);
    }
  });

  it('watches the stage’s own series: every alarm on the service’s metrics has the service and the stage as dimensions', () => {
    const own = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties['Namespace'] === 'VpcFailover');

    expect(own.map(([name]) => name).sort()).toEqual(['FailedMoveAlarm', 'NoHealthyMemberAlarm', 'ProbeHeartbeatAlarm']);
    for (const [name, alarm] of own) {
      expect(alarm.Properties['Dimensions'], name).toEqual([
        { Name: 'service', Value: 'vpc-failover' },
        { Name: 'stage', Value: 'dev' },
      ]);
    }
  });

  it('keeps the dead-man alarm apart from "no healthy member": missing data alarms one, and not the other', () => {
    expect(resources['ProbeHeartbeatAlarm']?.Properties).toMatchObject({ Statistic: 'SampleCount', TreatMissingData: 'breaching', EvaluationPeriods: 3 });
    expect(resources['NoHealthyMemberAlarm']?.Properties).toMatchObject({ Statistic: 'Maximum', TreatMissingData: 'notBreaching' });
  });

  it('counts errors of either function in the errors alarm, even in a minute when the other has no data point', () => {
    const [expression] = (resources['FunctionErrorsAlarm']?.Properties['Metrics'] as { Id: string; Expression?: string }[]).filter((m) => m.Expression);

    expect(expression?.Expression).toBe('FILL(eventErrors, 0) + FILL(eventThrottles, 0) + FILL(probeErrors, 0)');
  });

  it('builds a dashboard of valid JSON with the widgets operators need, its metrics those of the stage', () => {
    type Widget = { type: string; properties: { title: string; alarms?: string[]; metrics?: unknown[][] } };
    const dashboard = JSON.parse(resources['Dashboard']?.Properties['DashboardBody'] as string) as { widgets: Widget[] };

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
      'Drills: result and outage (longest gap the sensor saw, ms)',
    ]);
    expect(dashboard.widgets[0]?.properties.alarms).toEqual(
      ['NoHealthyMemberAlarm', 'ProbeHeartbeatAlarm', 'FailedMoveAlarm', 'EventsDeadLetterAlarm', 'FunctionErrorsAlarm', 'ProbeThrottledAlarm'].map((a) => `{{${a}.Arn}}`),
    );
    const ownSeries = dashboard.widgets.flatMap((w) => w.properties.metrics ?? []).filter((m) => m[0] === 'VpcFailover');
    expect(ownSeries.map((m) => m.slice(0, 6))).toEqual([
      ['VpcFailover', 'GroupsWithoutHealthyMember', 'service', 'vpc-failover', 'stage', 'dev'],
      ['VpcFailover', 'FailedMoves', 'service', 'vpc-failover', 'stage', 'dev'],
    ]);
  });
});
