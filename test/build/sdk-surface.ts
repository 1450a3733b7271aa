/**
 * Every SDK client and command the functions send, in one module: test/build/sdk-schema-keys.test.ts
 * bundles it the way `serverless package` does and compares it with the unbundled SDK.
 */
export { AutoScalingClient, CompleteLifecycleActionCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
export { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
export { BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
export {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
export { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
export { DescribeInstanceInformationCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, SSMClient, SendCommandCommand } from '@aws-sdk/client-ssm';
