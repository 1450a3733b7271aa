/**
 * The bundling plugin (scripts/esbuild-plugins.cjs) rewrites the SDK's generated schema modules.
 * These specs hold it to "changes nothing at run time": every command the functions send, bundled
 * with the plugin, serializes the same request and parses the same response as the SDK itself,
 * and the bundle no longer carries the shapes of commands nobody sends.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Plugin, build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as source from './sdk-surface.js';

const require = createRequire(import.meta.url);
const plugins = require('../../scripts/esbuild-plugins.cjs') as Plugin[] & { inlineSchemaKeys(source: string): string };

type Surface = typeof source;
let dir: string;
let bundled: Surface;
let bundleText: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcf-bundle-'));
  const outfile = join(dir, 'surface.cjs');
  // The options of custom.esbuild in serverless.yml that change what ends up in the bundle.
  await build({
    entryPoints: [join(import.meta.dirname, 'sdk-surface.ts')],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    outfile,
    plugins,
    logLevel: 'error',
  });
  bundleText = readFileSync(outfile, 'utf8');
  bundled = require(outfile) as Surface;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Captured {
  method: string;
  path: string;
  query: unknown;
  body: string;
  headers: Record<string, string>;
}

/** A client whose requests never leave: the handler records each and answers with `reply`. */
function capture<C>(Client: new (config: object) => C, reply: { status?: number; headers?: Record<string, string>; body: string }): { client: C; requests: Captured[] } {
  const requests: Captured[] = [];
  const client = new Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { method: string; path: string; query: unknown; body?: unknown; headers: Record<string, string> }) => {
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => ['content-type', 'x-amz-target'].includes(k.toLowerCase())));
        requests.push({ method: request.method, path: request.path, query: request.query, body: String(request.body ?? ''), headers });
        return { response: { statusCode: reply.status ?? 200, headers: reply.headers ?? {}, body: new TextEncoder().encode(reply.body) } };
      },
    },
  });
  return { client, requests };
}

const XML = { 'content-type': 'text/xml;charset=UTF-8' };
const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };
const JSON_10 = { 'content-type': 'application/x-amz-json-1.0' };

interface Case {
  readonly name: string;
  readonly send: (s: Surface, reply: { headers: Record<string, string>; body: string }) => Promise<{ output: unknown; requests: Captured[] }>;
  readonly reply: { headers: Record<string, string>; body: string };
}

function ec2(command: keyof Surface, input: object, body: string): Case {
  return {
    name: `EC2 ${command}`,
    reply: { headers: XML, body },
    send: async (s, reply) => {
      const { client, requests } = capture(s.EC2Client, reply);
      const Command = s[command] as new (input: object) => Parameters<typeof client.send>[0];
      return { output: await client.send(Command === undefined ? (undefined as never) : new Command(input)), requests };
    },
  };
}

function json<K extends keyof Surface>(service: 'SSMClient' | 'DynamoDBClient' | 'LambdaClient', command: K, input: object, reply: { headers: Record<string, string>; body: string }): Case {
  return {
    name: `${service.replace('Client', '')} ${command}`,
    reply,
    send: async (s, r) => {
      const { client, requests } = capture(s[service] as new (c: object) => { send(c: unknown): Promise<unknown> }, r);
      const Command = s[command] as new (input: object) => unknown;
      return { output: await client.send(new Command(input)), requests };
    },
  };
}

const INSTANCES_XML = `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><instancesSet><item><instanceId>i-0123456789abcdef0</instanceId><instanceState><code>16</code><name>running</name></instanceState><placement><availabilityZone>eu-west-1a</availabilityZone></placement><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId><privateIpAddress>10.0.1.10</privateIpAddress><tagSet><item><key>failover:group</key><value>web</value></item></tagSet><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><subnetId>subnet-1</subnetId><macAddress>02:00:00:00:00:01</macAddress><sourceDestCheck>true</sourceDestCheck><attachment><deviceIndex>0</deviceIndex></attachment><privateIpAddressesSet><item><privateIpAddress>10.0.1.10</privateIpAddress><primary>true</primary></item><item><privateIpAddress>10.0.1.100</privateIpAddress><primary>false</primary></item></privateIpAddressesSet></item></networkInterfaceSet></item></instancesSet></item></reservationSet><nextToken>tok</nextToken></DescribeInstancesResponse>`;
const ROUTES_XML = `<DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><routeTableSet><item><routeTableId>rtb-1</routeTableId><vpcId>vpc-1</vpcId><routeSet><item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><networkInterfaceId>eni-1</networkInterfaceId><instanceId>i-0123456789abcdef0</instanceId><state>blackhole</state></item></routeSet><tagSet><item><key>NATAZ</key><value>any</value></item></tagSet></item></routeTableSet></DescribeRouteTablesResponse>`;
const STATUS_XML = `<DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><instanceStatusSet><item><instanceId>i-0123456789abcdef0</instanceId><instanceStatus><status>impaired</status></instanceStatus><systemStatus><status>ok</status></systemStatus></item></instanceStatusSet></DescribeInstanceStatusResponse>`;
const ADDRESSES_XML = `<DescribeAddressesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><addressesSet><item><publicIp>203.0.113.10</publicIp><allocationId>eipalloc-1</allocationId><associationId>eipassoc-1</associationId><networkInterfaceId>eni-1</networkInterfaceId><privateIpAddress>10.0.1.10</privateIpAddress></item></addressesSet></DescribeAddressesResponse>`;
const OK_XML = (name: string) => `<${name}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return></${name}Response>`;

const CASES: readonly Case[] = [
  ec2('DescribeInstancesCommand', { Filters: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000 }, INSTANCES_XML),
  ec2('DescribeInstanceStatusCommand', { InstanceIds: ['i-0123456789abcdef0'], IncludeAllInstances: false }, STATUS_XML),
  ec2('DescribeRouteTablesCommand', { Filters: [{ Name: 'tag-key', Values: ['NATAZ', 'failover:overlay'] }], MaxResults: 100 }, ROUTES_XML),
  ec2('DescribeAddressesCommand', { AllocationIds: ['eipalloc-1'] }, ADDRESSES_XML),
  ec2('DescribeSubnetsCommand', { SubnetIds: ['subnet-1'] }, '<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><subnetSet><item><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId><cidrBlock>10.0.1.0/24</cidrBlock><availabilityZone>eu-west-1a</availabilityZone></item></subnetSet></DescribeSubnetsResponse>'),
  ec2('DescribeNetworkInterfacesCommand', { NetworkInterfaceIds: ['eni-1'] }, '<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><privateIpAddressesSet><item><privateIpAddress>10.0.1.100</privateIpAddress></item></privateIpAddressesSet></item></networkInterfaceSet></DescribeNetworkInterfacesResponse>'),
  ec2('AssignPrivateIpAddressesCommand', { NetworkInterfaceId: 'eni-2', PrivateIpAddresses: ['10.0.1.100'], AllowReassignment: true }, OK_XML('AssignPrivateIpAddresses')),
  ec2('AssociateAddressCommand', { AllocationId: 'eipalloc-1', NetworkInterfaceId: 'eni-2', PrivateIpAddress: '10.0.2.10', AllowReassociation: true }, '<AssociateAddressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><associationId>eipassoc-2</associationId></AssociateAddressResponse>'),
  ec2('ReplaceRouteCommand', { RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-2' }, OK_XML('ReplaceRoute')),
  ec2('CreateRouteCommand', { RouteTableId: 'rtb-1', DestinationCidrBlock: '100.64.0.1/32', NetworkInterfaceId: 'eni-2' }, OK_XML('CreateRoute')),
  ec2('DescribeNatGatewaysCommand', { Filter: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000 }, '<DescribeNatGatewaysResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><natGatewaySet><item><natGatewayId>nat-1</natGatewayId><state>available</state><vpcId>vpc-1</vpcId><availabilityMode>regional</availabilityMode><tagSet><item><key>failover:group</key><value>egress</value></item></tagSet></item></natGatewaySet></DescribeNatGatewaysResponse>'),
  ec2('ReplaceRouteCommand', { RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1' }, OK_XML('ReplaceRoute')),
  ec2('ModifyNetworkInterfaceAttributeCommand', { NetworkInterfaceId: 'eni-2', SourceDestCheck: { Value: false } }, OK_XML('ModifyNetworkInterfaceAttribute')),
  json('SSMClient', 'SendCommandCommand', { DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-0123456789abcdef0'], Parameters: { commands: ['echo hi'], executionTimeout: ['10'] }, TimeoutSeconds: 30 }, { headers: JSON_11, body: JSON.stringify({ Command: { CommandId: 'c', RequestedDateTime: 1_700_000_000 } }) }),
  json('SSMClient', 'ListCommandInvocationsCommand', { CommandId: 'c', Details: true, MaxResults: 50 }, { headers: JSON_11, body: JSON.stringify({ CommandInvocations: [{ InstanceId: 'i-0123456789abcdef0', Status: 'Success', StatusDetails: 'Success', CommandPlugins: [{ Name: 'aws:runShellScript', Output: 'vpcf probe self=i-0123456789abcdef0', ResponseCode: 0 }] }] }) }),
  json('SSMClient', 'DescribeInstanceInformationCommand', { Filters: [{ Key: 'InstanceIds', Values: ['i-0123456789abcdef0'] }], MaxResults: 50 }, { headers: JSON_11, body: JSON.stringify({ InstanceInformationList: [{ InstanceId: 'i-0123456789abcdef0', PingStatus: 'ConnectionLost', LastPingDateTime: 1_700_000_000 }] }) }),
  json('DynamoDBClient', 'UpdateItemCommand', { TableName: 't', Key: { pk: { S: 'group#web' }, sk: { S: 'lease' } }, UpdateExpression: 'SET #o = :o', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': { S: 'me' } }, ReturnValues: 'ALL_OLD' }, { headers: JSON_10, body: JSON.stringify({ Attributes: { token: { N: '3' }, owner: { S: 'x' } } }) }),
  json('DynamoDBClient', 'QueryCommand', { TableName: 't', IndexName: 'recent', KeyConditionExpression: '#k = :k', ExpressionAttributeNames: { '#k': 'kind' }, ExpressionAttributeValues: { ':k': { S: 'journal' } }, ScanIndexForward: false, Limit: 20 }, { headers: JSON_10, body: JSON.stringify({ Items: [{ at: { N: '1' }, actions: { L: [{ S: 'a' }] } }], Count: 1 }) }),
  // doctor's reads (the failover function's {"action":"doctor"})
  ec2('DescribeSecurityGroupsCommand', { Filters: [{ Name: 'group-id', Values: ['sg-1'] }], MaxResults: 1000 }, '<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><securityGroupInfo><item><groupId>sg-1</groupId><vpcId>vpc-1</vpcId><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><groups><item><groupId>sg-2</groupId></item></groups><ipRanges><item><cidrIp>10.0.0.0/16</cidrIp></item></ipRanges></item></ipPermissions><ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissionsEgress></item></securityGroupInfo></DescribeSecurityGroupsResponse>'),
  ec2('DescribeNetworkAclsCommand', { Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }], MaxResults: 100 }, '<DescribeNetworkAclsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><networkAclSet><item><networkAclId>acl-1</networkAclId><vpcId>vpc-1</vpcId><default>true</default><entrySet><item><ruleNumber>50</ruleNumber><protocol>6</protocol><ruleAction>deny</ruleAction><egress>false</egress><cidrBlock>10.0.50.0/24</cidrBlock><portRange><from>22</from><to>22</to></portRange></item></entrySet><associationSet><item><networkAclAssociationId>aclassoc-1</networkAclAssociationId><networkAclId>acl-1</networkAclId><subnetId>subnet-1</subnetId></item></associationSet></item></networkAclSet></DescribeNetworkAclsResponse>'),
  ec2('DescribeInstanceTypesCommand', { InstanceTypes: ['t3.micro'] }, '<DescribeInstanceTypesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><instanceTypeSet><item><instanceType>t3.micro</instanceType><networkInfo><ipv4AddressesPerInterface>2</ipv4AddressesPerInterface><maximumNetworkInterfaces>2</maximumNetworkInterfaces></networkInfo></item></instanceTypeSet></DescribeInstanceTypesResponse>'),
  json('SSMClient', 'DescribeInstanceInformationCommand', { Filters: [{ Key: 'InstanceIds', Values: ['i-0123456789abcdef0'] }], MaxResults: 50 }, { headers: JSON_11, body: JSON.stringify({ InstanceInformationList: [{ InstanceId: 'i-0123456789abcdef0', PingStatus: 'Online' }] }) }),
  json('LambdaClient', 'GetFunctionConfigurationCommand', { FunctionName: 'vpc-failover-dev-sensor' }, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ FunctionName: 'vpc-failover-dev-sensor', Environment: { Variables: { VPCF_STAGE: 'dev' } }, VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'], VpcId: 'vpc-1' } }) }),
  json('LambdaClient', 'InvokeCommand', { FunctionName: 'sensor', InvocationType: 'RequestResponse', Payload: new TextEncoder().encode('{"targets":[]}') }, { headers: { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }, body: '{"results":[]}' }),
];

/** The output as data: without `$metadata`, and with byte arrays as text (each copy of the SDK has its own Uint8Array subclass). */
const withoutMetadata = (output: unknown): unknown => {
  const { $metadata: _ignored, ...rest } = output as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest, (_key, value: unknown) => (value instanceof Uint8Array ? { bytes: new TextDecoder().decode(value) } : value)));
};

describe('the SDK, bundled with the schema-keys plugin', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s serializes the same request and parses the same response as the SDK itself', async (_name, c) => {
    const expected = await c.send(source, c.reply);
    const actual = await c.send(bundled, c.reply);

    expect(actual.requests).toEqual(expected.requests);
    expect(withoutMetadata(actual.output)).toEqual(withoutMetadata(expected.output));
    expect(actual.requests).toHaveLength(1);
  });

  it('no longer carries the shapes of EC2 commands the functions never send', () => {
    expect(bundleText).toContain('AssignPrivateIpAddressesRequest');
    expect(bundleText).not.toContain('AcceptAddressTransferRequest');
    expect(bundleText).not.toContain('RunInstancesRequest');
  });
});

describe('inlineSchemaKeys', () => {
  it('writes computed keys named after string constants out as literals, and leaves every other key alone', () => {
    const generated = ['const _xN = "xmlName";', 'const other = compute();', 'var A = [0, n0, _A, 0, [0, { [_xN]: _ZN, [other]: 1 }], [1,{[_xN]: _B }]];'].join('\n');

    const rewritten = plugins.inlineSchemaKeys(generated);

    expect(rewritten).toContain('{ "xmlName": _ZN, [other]: 1 }');
    expect(rewritten).toContain('{"xmlName": _B }');
    expect(rewritten.split('\n').slice(0, 2)).toEqual(generated.split('\n').slice(0, 2));
  });
});
