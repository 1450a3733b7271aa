/**
 * What CloudFormation makes of a template, for the tests that read the packaged one: the intrinsic
 * functions this service's template uses, evaluated as CloudFormation would for given parameters and
 * pseudo parameters. A resource's Ref or attribute (known only once the stack exists) stays symbolic:
 * `{{StateTable}}`, `{{StateTable.Arn}}`, also inside a string that Fn::Sub or Fn::Join builds.
 *
 * Supported: Ref (parameters, AWS::Partition/Region/AccountId/StackName/URLSuffix, AWS::NoValue,
 * resources), Fn::Sub (both forms, `${!Literal}`), Fn::Join, Fn::Split, Fn::Select, Fn::GetAtt
 * (both forms), Fn::If, and in Conditions Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition.
 * Anything else throws, so a template that starts using another function fails its tests loudly.
 */

export interface Pseudo {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
}

export interface Template {
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;
}

export const US_EAST_1: Pseudo = { partition: 'aws', region: 'us-east-1', accountId: '123456789012', stackName: 'vpc-failover-dev' };

/** AWS::NoValue: the property it stands in is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

export class CfnEvaluator {
  private readonly conditions = new Map<string, boolean>();

  constructor(
    private readonly template: Template,
    private readonly pseudo: Pseudo = US_EAST_1,
    private readonly parameters: Readonly<Record<string, string>> = {},
  ) {}

  /** The template's resources that CloudFormation would create, each evaluated. */
  resources(): Record<string, { Type: string; Properties: Record<string, unknown>; [key: string]: unknown }> {
    const out: Record<string, { Type: string; Properties: Record<string, unknown> }> = {};
    for (const [name, resource] of Object.entries(this.template.Resources)) {
      if (resource.Condition !== undefined && !this.condition(resource.Condition)) continue;
      out[name] = { ...resource, Properties: (this.value(resource.Properties ?? {}) ?? {}) as Record<string, unknown> };
    }
    return out;
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`no condition ${name}`);
    const result = this.truth(definition);
    this.conditions.set(name, result);
    return result;
  }

  /** Evaluates any value; AWS::NoValue comes back as undefined at the top. */
  value(node: unknown): unknown {
    const result = this.eval(node);
    return result === NO_VALUE ? undefined : result;
  }

  private truth(node: unknown): boolean {
    const [fn, args] = single(node);
    const list = args as unknown[];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.value(list[0])) === JSON.stringify(this.value(list[1]));
      case 'Fn::Not':
        return !this.truth(list[0]);
      case 'Fn::And':
        return list.every((c) => this.truth(c));
      case 'Fn::Or':
        return list.some((c) => this.truth(c));
      case 'Condition':
        return this.condition(args as string);
      default:
        throw new Error(`not a condition function: ${fn}`);
    }
  }

  private eval(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.eval(n)).filter((n) => n !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return this.call(keys[0]!, (node as Record<string, unknown>)[keys[0]!]);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const evaluated = this.eval(value);
      if (evaluated !== NO_VALUE) out[key] = evaluated;
    }
    return out;
  }

  private call(fn: string, args: unknown): unknown {
    const list = args as unknown[];
    switch (fn) {
      case 'Ref':
        return this.ref(args as string);
      case 'Fn::GetAtt': {
        const [resource, attribute] = typeof args === 'string' ? args.split(/\.(.*)/s) : (list as string[]);
        if (!(resource! in this.template.Resources)) throw new Error(`Fn::GetAtt of unknown resource ${resource}`);
        return `{{${resource}.${attribute}}}`;
      }
      case 'Fn::Sub':
        return typeof args === 'string' ? this.sub(args, {}) : this.sub(list[0] as string, this.eval(list[1]) as Record<string, unknown>);
      case 'Fn::Join': {
        if (typeof list[0] !== 'string') throw new Error('Fn::Join: the delimiter must be a literal string');
        const items = this.eval(list[1]);
        if (!Array.isArray(items)) throw new Error('Fn::Join: the list does not resolve to a list');
        return items.map(text).join(list[0]);
      }
      case 'Fn::Split': {
        if (typeof list[0] !== 'string') throw new Error('Fn::Split: the delimiter must be a literal string');
        return text(this.eval(list[1])).split(list[0]);
      }
      case 'Fn::Select': {
        const items = this.eval(list[1]) as unknown[];
        const index = Number(this.eval(list[0]));
        if (!Array.isArray(items) || !(index >= 0 && index < items.length)) throw new Error(`Fn::Select: index ${index} out of range`);
        return items[index];
      }
      case 'Fn::If':
        return this.eval(this.condition(list[0] as string) ? list[1] : list[2]);
      default:
        throw new Error(`intrinsic function not supported here: ${fn}`);
    }
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::Partition':
        return this.pseudo.partition;
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::StackName':
        return this.pseudo.stackName;
      case 'AWS::URLSuffix':
        return this.pseudo.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    if (name in this.parameters) return this.parameters[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      if (parameter.Default === undefined) throw new Error(`parameter ${name} has no value`);
      return parameter.Default;
    }
    if (name in this.template.Resources) return `{{${name}}}`;
    throw new Error(`Ref to unknown ${name}`);
  }

  private sub(template: string, variables: Record<string, unknown>): string {
    return template.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in variables) return text(variables[name]);
      if (name.includes('.') && !name.startsWith('AWS::')) return text(this.call('Fn::GetAtt', name));
      return text(this.ref(name));
    });
  }
}

function single(node: unknown): [string, unknown] {
  if (node === null || typeof node !== 'object' || Array.isArray(node) || Object.keys(node).length !== 1) throw new Error(`not a function: ${JSON.stringify(node)}`);
  const [entry] = Object.entries(node);
  return entry!;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`not a string: ${JSON.stringify(value)}`);
}
