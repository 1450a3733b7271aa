/** scripts/sensor-fleet.cjs: the sensorFleet param as sensor functions, one per subnet, and what scopes them. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface Fleet {
  functions: Record<string, { vpc: { securityGroupIds: unknown[]; subnetIds: string[] }; role: string; handler: string }>;
  names?: string;
  functionArns: unknown[];
  logGroupArns: unknown[];
  resources: { Resources?: Record<string, { Properties: { VpcId: string; SecurityGroupEgress: unknown[] } }>; Outputs?: Record<string, unknown> };
}
const { sensorFleet } = createRequire(import.meta.url)('../../scripts/sensor-fleet.cjs') as { sensorFleet: (p: Record<string, string>) => Fleet };

const base = { service: 'vpc-failover', stage: 'prod', sensorVpcId: 'vpc-0123456789abcdef0,vpc-0fedcba9876543210', egressEndpoints: '1.1.1.1:443,8.8.8.8:443' };
const A = 'subnet-0aaaaaaaaaaaaaaa1';
const B = 'subnet-0bbbbbbbbbbbbbbb2';

describe('sensorFleet', () => {
  it('adds nothing without a fleet: no function, no names, no security group; the roles still name the main sensor', () => {
    const fleet = sensorFleet({ ...base, fleet: '' });

    expect(fleet.functions).toEqual({});
    expect(fleet.names).toBeUndefined();
    expect(fleet.resources).toEqual({});
    expect(fleet.functionArns).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:vpc-failover-prod-sensor' }]);
    expect(fleet.logGroupArns).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/vpc-failover-prod-sensor:*' }]);
  });

  it('places one sensor function in each subnet alone, with the fleet security group or the groups given', () => {
    const fleet = sensorFleet({ ...base, fleet: `${A},${B}:sg-0ccccccccccccccc3+sg-0ddddddddddddddd4` });

    expect(Object.keys(fleet.functions)).toEqual(['sensor0aaaaaaaaaaaaaaa1', 'sensor0bbbbbbbbbbbbbbb2']);
    expect(fleet.functions['sensor0aaaaaaaaaaaaaaa1']).toMatchObject({ handler: 'functions/sensor.handler', role: 'SensorRole', vpc: { securityGroupIds: [{ Ref: 'FleetSensorSecurityGroup' }], subnetIds: [A] } });
    expect(fleet.functions['sensor0bbbbbbbbbbbbbbb2']?.vpc).toEqual({ securityGroupIds: ['sg-0ccccccccccccccc3', 'sg-0ddddddddddddddd4'], subnetIds: [B] });
    expect(fleet.names).toBe('vpc-failover-prod-sensor0aaaaaaaaaaaaaaa1,vpc-failover-prod-sensor0bbbbbbbbbbbbbbb2');
    expect(fleet.functionArns).toHaveLength(3);
  });

  it('lets the fleet security group, in the sensor VPC, out to the egress endpoints only', () => {
    const group = sensorFleet({ ...base, fleet: A }).resources.Resources?.['FleetSensorSecurityGroup'];

    expect(group?.Properties.VpcId).toBe('vpc-0123456789abcdef0');
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '1.1.1.1/32', Description: 'egress endpoint 1.1.1.1:443' },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '8.8.8.8/32', Description: 'egress endpoint 8.8.8.8:443' },
    ]);
  });

  it('makes no fleet security group when every subnet brings its own', () => {
    expect(sensorFleet({ ...base, fleet: `${A}:sg-0ccccccccccccccc3` }).resources).toEqual({});
  });

  it.each([
    ['a space after a comma', `${A}, ${B}`, 'param sensorFleet'],
    ['a subnet listed twice', `${A},${A}`, 'listed twice'],
    ['a VPC ID', 'vpc-0123456789abcdef0', 'param sensorFleet'],
    ['a bad security group', `${A}:sg-x`, 'not a security group ID'],
    ['two colons', `${A}:sg-0ccccccccccccccc3:x`, 'param sensorFleet'],
  ])('refuses %s when the service is packaged, naming the param', (_, fleet, shown) => {
    expect(() => sensorFleet({ ...base, fleet })).toThrow(shown);
  });

  it('refuses egress endpoints the security group cannot carry, naming the param', () => {
    expect(() => sensorFleet({ ...base, fleet: A, egressEndpoints: 'one.one.one.one:443' })).toThrow('param egressEndpoints');
  });
});
