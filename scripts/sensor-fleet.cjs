/**
 * The sensor fleet, built when the service is packaged from the sensorFleet param
 * (`${file(./scripts/sensor-fleet.cjs):…}` in serverless.yml): one sensor function per subnet, so
 * that each runs in exactly that subnet and reaches the outside through that subnet's route table
 * (Lambda picks one of a function's subnets per invocation, so a function in several subnets could
 * not say whose NAT it went through).
 *
 * sensorFleet is comma-separated, no spaces:
 *   subnet-…            a subnet in sensorVpcId: the function gets the stack's fleet security group
 *                       (TCP out to the egressEndpoints only)
 *   subnet-…:sg-…[+sg-…] a subnet anywhere (another VPC of vpcIds): your security groups, which
 *                       must let it out to the egress endpoints, and, if no main sensor is in that
 *                       VPC, to the members' failover:ports (the first fleet sensor there probes them)
 *
 * What it gives serverless.yml: `functions` (merged into the functions list), `names` (the probe's
 * VPCF_SENSOR_FLEET), `functionArns` and `logGroupArns` (the probe's and the sensors' roles scoped
 * to exactly these functions) and `resources` (the fleet's security group and its output). The
 * default, an empty param, adds nothing: a single-sensor deployment is packaged as before.
 */
'use strict';

const SUBNET = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const GROUP = /^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const ENDPOINT = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;

/** @param {string} raw the sensorFleet param */
function parseFleet(raw) {
  const text = String(raw ?? '');
  if (text === '') return [];
  const seen = new Set();
  return text.split(',').map((entry) => {
    const [subnetId, groups, extra] = entry.split(':');
    if (extra !== undefined || subnetId === undefined || !SUBNET.test(subnetId)) {
      throw new Error(`param sensorFleet: "${entry}" is not subnet-… or subnet-…:sg-… (comma-separated, no spaces)`);
    }
    if (seen.has(subnetId)) throw new Error(`param sensorFleet: ${subnetId} is listed twice`);
    seen.add(subnetId);
    const securityGroupIds = groups === undefined ? [] : groups.split('+');
    for (const sg of securityGroupIds) {
      if (!GROUP.test(sg)) throw new Error(`param sensorFleet: "${sg}" in "${entry}" is not a security group ID (sg-…)`);
    }
    return { subnetId, securityGroupIds, key: `sensor${subnetId.slice('subnet-'.length)}` };
  });
}

/** @param {string} raw the egressEndpoints param: the fleet security group's only way out */
function egressRules(raw) {
  return String(raw)
    .split(',')
    .map((e) => e.trim())
    .map((endpoint) => {
      const m = ENDPOINT.exec(endpoint);
      if (!m) throw new Error(`param egressEndpoints: "${endpoint}" is not an IPv4 address:port`);
      const port = Number(m[2]);
      return { IpProtocol: 'tcp', FromPort: port, ToPort: port, CidrIp: `${m[1]}/32`, Description: `egress endpoint ${endpoint}` };
    });
}

const arn = (kind, name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:${kind}:\${AWS::Region}:\${AWS::AccountId}:${name}` });

/**
 * @param {{ fleet: string, service: string, stage: string, sensorVpcId: string, egressEndpoints: string }} p
 */
function sensorFleet(p) {
  const fleet = parseFleet(p.fleet);
  const prefix = `${p.service}-${p.stage}-`;
  const ownGroup = fleet.some((s) => s.securityGroupIds.length === 0);
  const functions = Object.fromEntries(
    fleet.map((s) => [
      s.key,
      {
        handler: 'functions/sensor.handler',
        description: `Sensor in ${s.subnetId}: TCP to members, and to the egress endpoints through the subnet's route`,
        memorySize: 128,
        timeout: 10,
        logs: { logFormat: 'JSON', systemLogLevel: 'WARN' },
        role: 'SensorRole',
        vpc: {
          securityGroupIds: s.securityGroupIds.length > 0 ? s.securityGroupIds : [{ Ref: 'FleetSensorSecurityGroup' }],
          subnetIds: [s.subnetId],
        },
      },
    ]),
  );
  const names = [`${prefix}sensor`, ...fleet.map((s) => `${prefix}${s.key}`)];
  const resources = ownGroup
    ? {
        Resources: {
          FleetSensorSecurityGroup: {
            Type: 'AWS::EC2::SecurityGroup',
            Properties: {
              GroupDescription: `vpc-failover ${p.stage} sensor fleet - TCP to the egress endpoints only, nothing inbound`,
              VpcId: String(p.sensorVpcId).split(',')[0],
              SecurityGroupEgress: egressRules(p.egressEndpoints),
              Tags: [{ Key: 'Name', Value: `${prefix}sensor-fleet` }],
            },
          },
        },
        Outputs: {
          FleetSensorSecurityGroupId: { Description: 'The sensor fleet: let this group out through the NATs (their security groups and NACLs)', Value: { Ref: 'FleetSensorSecurityGroup' } },
        },
      }
    : {};
  return {
    functions,
    // Absent (not empty) without a fleet: the functions refuse an empty VPCF_ value.
    ...(fleet.length > 0 ? { names: names.slice(1).join(',') } : {}),
    functionArns: names.map((n) => arn('lambda', `function:${n}`)),
    logGroupArns: names.map((n) => arn('logs', `log-group:/aws/lambda/${n}:*`)),
    resources,
  };
}

module.exports = async ({ resolveVariable }) =>
  sensorFleet({
    fleet: await resolveVariable('param:sensorFleet'),
    service: await resolveVariable('self:service'),
    stage: await resolveVariable('sls:stage'),
    sensorVpcId: await resolveVariable('param:sensorVpcId'),
    egressEndpoints: await resolveVariable('param:egressEndpoints'),
  });
module.exports.sensorFleet = sensorFleet;
module.exports.parseFleet = parseFleet;
