/**
 * The state table as CloudFormation (moto's) creates it from the packaged template's StateTable
 * resource, under the name the stack generates. The functions read that name as `VPCF_TABLE_NAME:
 * !Ref StateTable`, which `serverless invoke local` resolves through ListStackResources of the
 * service's stack: so the stack must exist in moto under the service's stack name.
 *
 * moto speaks CloudFormation's query protocol and checks no signature: it routes a request to a
 * service, and to the account of the access key, by the Authorization header's credential scope.
 */
import { CREDENTIALS, REGION } from './moto.js';
import type { CloudFormationTemplate } from './serverless.js';

const AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20260101/${REGION}/cloudformation/aws4_request, SignedHeaders=host, Signature=0`;

async function query(endpoint: string, action: string, params: Readonly<Record<string, string>>): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTHORIZATION },
    body: new URLSearchParams({ Action: action, Version: '2010-05-15', ...params }).toString(),
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`CloudFormation ${action} on moto failed (${response.status}): ${body.slice(0, 2_000)}`);
  return body;
}

/**
 * Creates stack `stackName` in moto with the template's StateTable resource alone, and answers the
 * table's generated name.
 */
export async function deployStateTable(endpoint: string, template: CloudFormationTemplate, stackName: string): Promise<string> {
  const table = template.Resources['StateTable'];
  if (!table) throw new Error('the packaged template has no StateTable');
  await query(endpoint, 'CreateStack', { StackName: stackName, TemplateBody: JSON.stringify({ Resources: { StateTable: table } }) });
  const listing = await query(endpoint, 'ListStackResources', { StackName: stackName });
  const member = [...listing.matchAll(/<member>([\s\S]*?)<\/member>/g)].map(([, m]) => m!).find((m) => m.includes('<LogicalResourceId>StateTable</LogicalResourceId>'));
  const name = member && /<PhysicalResourceId>([^<]+)<\/PhysicalResourceId>/.exec(member)?.[1];
  if (!name) throw new Error(`moto created no StateTable in stack ${stackName}: ${listing.slice(0, 2_000)}`);
  return name;
}
