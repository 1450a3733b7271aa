/**
 * The in-VPC sensor: TCP connects to the members' private IPs, nothing else. It calls no AWS API
 * and reads no configuration, so it keeps working when the NAT it guards is dead.
 *
 * A malformed envelope refuses the request; a bad target is refused by name in the answer and
 * the others are probed, so one group's bad tags cost only that group's results.
 */
import middy from '@middy/core';
import { parseInput } from '../shared/input.js';
import type { SensorResponse } from '../shared/probe/ports.js';
import { SensorRequestSchema, checkSensorTargets } from '../shared/probe/sensor-schema.js';
import { type TcpResult, type TcpTarget, probeTcp } from '../shared/probe/tcp.js';

export function createHandler(probe: (targets: readonly TcpTarget[], timeoutMs: number) => Promise<TcpResult[]> = probeTcp) {
  return middy(async (event: unknown): Promise<SensorResponse> => {
    const request = parseInput(SensorRequestSchema, event);
    const { valid, refused } = checkSensorTargets(request.targets);
    const results = valid.length === 0 ? [] : await probe(valid, request.timeoutMs);
    return { results, ...(refused.length > 0 ? { refused } : {}) };
  });
}

export const handler = createHandler();
