/** The template tests' evaluator of intrinsic functions gives what CloudFormation gives, and refuses what it refuses. */
import { describe, expect, it } from 'vitest';
import { CfnEvaluator, type Template } from '../support/cfn-eval.js';

const template: Template = {
  Parameters: { Ids: { Default: 'vpc-a,vpc-b' } },
  Conditions: {
    Empty: { 'Fn::Equals': ['', ''] },
    Set: { 'Fn::Not': [{ Condition: 'Empty' }] },
    Both: { 'Fn::And': [{ Condition: 'Empty' }, { 'Fn::Or': [{ Condition: 'Set' }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }] }] },
  },
  Resources: { Table: { Type: 'AWS::DynamoDB::Table' }, Gone: { Type: 'AWS::SQS::Queue', Condition: 'Set' } },
};
const cfn = () => new CfnEvaluator(template);

describe('CfnEvaluator', () => {
  it.each([
    ['Ref to a pseudo parameter', { Ref: 'AWS::AccountId' }, '123456789012'],
    ['Ref to a parameter, its default', { Ref: 'Ids' }, 'vpc-a,vpc-b'],
    ['Ref to a resource, symbolic', { Ref: 'Table' }, '{{Table}}'],
    ['Fn::GetAtt, list form', { 'Fn::GetAtt': ['Table', 'Arn'] }, '{{Table.Arn}}'],
    ['Fn::GetAtt, string form', { 'Fn::GetAtt': 'Table.StreamArn' }, '{{Table.StreamArn}}'],
    ['Fn::Sub with pseudo parameters and an attribute', { 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}::${Table.Arn}/${!Literal}' }, 'arn:aws:x:us-east-1::{{Table.Arn}}/${Literal}'],
    ['Fn::Sub, list form', { 'Fn::Sub': ['${A}-${AWS::Region}', { A: { Ref: 'Table' } }] }, '{{Table}}-us-east-1'],
    ['Fn::Split', { 'Fn::Split': [',', { Ref: 'Ids' }] }, ['vpc-a', 'vpc-b']],
    ['Fn::Join', { 'Fn::Join': ['/', ['a', { Ref: 'AWS::Region' }]] }, 'a/us-east-1'],
    ['Fn::Select', { 'Fn::Select': ['1', { 'Fn::Split': [',', { Ref: 'Ids' }] }] }, 'vpc-b'],
    ['Fn::If, false branch', { 'Fn::If': ['Set', 'yes', 'no'] }, 'no'],
    ['Fn::If with AWS::NoValue drops the key', { a: 1, b: { 'Fn::If': ['Set', 2, { Ref: 'AWS::NoValue' }] } }, { a: 1 }],
    ['Fn::If with AWS::NoValue drops the list item', ['x', { 'Fn::If': ['Set', 'y', { Ref: 'AWS::NoValue' }] }], ['x']],
    ['nested conditions', { 'Fn::If': ['Both', 'both', 'not'] }, 'both'],
  ])('evaluates %s', (_, node, expected) => {
    expect(cfn().value(node)).toEqual(expected);
  });

  it('takes parameter values given for the stack over defaults', () => {
    expect(new CfnEvaluator(template, undefined, { Ids: 'vpc-c' }).value({ Ref: 'Ids' })).toBe('vpc-c');
  });

  it('leaves out a resource whose condition is false', () => {
    expect(Object.keys(cfn().resources())).toEqual(['Table']);
  });

  it.each([
    ['an Fn::Join delimiter that is a function', { 'Fn::Join': [{ 'Fn::Sub': ',' }, ['a', 'b']] }, 'delimiter must be a literal'],
    ['an Fn::Split delimiter that is a function', { 'Fn::Split': [{ Ref: 'AWS::Region' }, 'a,b'] }, 'delimiter must be a literal'],
    ['a Ref to nothing', { Ref: 'Nothing' }, 'Ref to unknown Nothing'],
    ['an attribute of nothing', { 'Fn::GetAtt': ['Nothing', 'Arn'] }, 'unknown resource Nothing'],
    ['a function it does not know', { 'Fn::Base64': 'x' }, 'not supported'],
    ['Fn::Select out of range', { 'Fn::Select': [2, ['a']] }, 'out of range'],
  ])('refuses %s', (_, node, message) => {
    expect(() => cfn().value(node)).toThrow(message);
  });
});
