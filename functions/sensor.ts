/**
 * The in-VPC sensor: TCP connects to the members' private IPs, nothing else. It calls no AWS API
 * and reads no configuration, so it keeps working when the NAT it guards is dead.
 */
import middy from '@middy/core';
import { parseInput } from '../shared/input.js';
import type { SensorResponse } from '../shared/probe/ports.js';
import { SensorRequestSchema } from '../shared/probe/sensor-schema.js';
import { type TcpResult, type TcpTarget, probeTcp } from '../shared/probe/tcp.js';

export function createHandler(probe: (targets: readonly TcpTarget[], timeoutMs: number) => Promise<TcpResult[]> = probeTcp) {
  return middy(async (event: unknown): Promise<SensorResponse> => {
    const request = parseInput(SensorRequestSchema, event);
    return { results: await probe(request.targets, request.timeoutMs) };
  });
}

export const handler = createHandler();
