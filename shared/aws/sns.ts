/**
 * NotifierPort over SNS Publish: the subject for email, a plain-text body for every protocol, and
 * the group, kind, outcome and trigger as message attributes, so a subscription can filter on them.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { NotifierPort } from '../core/ports.js';
import { toAwsCallError } from './translate.js';

/**
 * @param topicArn the stage's topic.
 * @throws AwsCallError from `notify` when SNS refuses or cannot be reached (the engine's guard logs and counts it).
 */
export function createSnsNotifier(client: SNSClient, topicArn: string): NotifierPort {
  return {
    async notify(notice, call = {}) {
      const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
      try {
        await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: notice.subject,
            Message: notice.message,
            MessageAttributes: {
              group: attribute(notice.group),
              kind: attribute(notice.kind),
              outcome: attribute(notice.outcome),
              trigger: attribute(notice.trigger),
            },
          }),
          { abortSignal: call.signal },
        );
      } catch (error) {
        throw toAwsCallError('Publish', error, { topicArn, group: notice.group });
      }
    },
  };
}

/**
 * The topic's ARN from a name or an ARN. A name is completed with the partition, region and account
 * of the function's own ARN, so serverless.yml can pass a plain string (`serverless invoke local`
 * cannot resolve CloudFormation references in the environment).
 */
export function topicArnOf(nameOrArn: string, functionArn: string | undefined): string | undefined {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  const parts = functionArn?.split(':');
  if (!parts || parts.length < 5 || parts[0] !== 'arn') return undefined;
  const [, partition, , region, account] = parts;
  return `arn:${partition}:sns:${region}:${account}:${nameOrArn}`;
}
