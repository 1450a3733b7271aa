/**
 * One base class for every error this project raises on purpose, so callers can tell ours from bugs.
 * Subclasses carry the resource they are about and keep the SDK error as `cause`.
 */
export class FailoverError extends Error {
  /** Resources the error is about: instance, ENI, route table, allocation, group, field. */
  readonly context: Readonly<Record<string, string>>;
  /** Whether trying the same call again may succeed (throttling, 5xx, timeouts). */
  readonly retriable: boolean;

  constructor(message: string, options: { context?: Record<string, string>; retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = Object.freeze({ ...options.context });
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration value (environment, tag) is missing, unknown or malformed. */
export class ConfigError extends FailoverError {}

/** An invocation payload or event does not match its schema. `field` is the path of the first bad field. */
export class InputError extends FailoverError {
  readonly field: string;
  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super(`Invalid input at '${field}': ${message}`, { context: { field }, cause: options.cause });
    this.field = field;
  }
}

/** Reading the world failed. The world is unknown, which never means a node is down. */
export class ObserveError extends FailoverError {}

/** An AWS call failed. `retriable` tells throttling and server faults from client errors. */
export class AwsCallError extends FailoverError {
  /** The SDK error name, e.g. `RequestLimitExceeded`, `InvalidRoute.NotFound`. */
  readonly code: string;
  readonly operation: string;
  constructor(
    operation: string,
    code: string,
    message: string,
    options: { context?: Record<string, string>; retriable?: boolean; cause?: unknown } = {},
  ) {
    super(`${operation} failed (${code}): ${message}`, options);
    this.operation = operation;
    this.code = code;
  }
}

/** Another decider holds the group's lease. */
export class LeaseHeldError extends FailoverError {}

/** A change was sent but could not be read back before the deadline. */
export class VerifyTimeoutError extends FailoverError {}

/** A request the core refuses for safety: unhealthy target, misconfigured group, unknown group. */
export class RefusedError extends FailoverError {}
