/**
 * The sensor Lambda, run inside the lab's sensor namespace: the real handler (functions/sensor.ts)
 * behind a JSON-lines stand-in for Lambda Invoke on stdin/stdout. Started by lab/sensor.ts with
 * `node --import tsx`; exits when its stdin closes.
 *
 * In: `{"id":1,"payload":"<request JSON>"}`. Out: `{"id":1,"payload":"<response JSON>"}`, with
 * `"functionError":"Unhandled"` and an error payload when the handler threw, as Lambda answers.
 */
import { createInterface } from 'node:readline';
import type { Context } from 'aws-lambda';
import { handler } from '../functions/sensor.js';

const context = {
  awsRequestId: 'lab',
  functionName: 'vpc-failover-lab-sensor',
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: false,
} as unknown as Context;

async function answer(line: string): Promise<void> {
  const { id, payload } = JSON.parse(line) as { id: number; payload: string };
  try {
    const response = await handler(JSON.parse(payload), context);
    process.stdout.write(`${JSON.stringify({ id, payload: JSON.stringify(response) })}\n`);
  } catch (error) {
    const body = { errorType: error instanceof Error ? error.name : 'Error', errorMessage: error instanceof Error ? error.message : String(error) };
    process.stdout.write(`${JSON.stringify({ id, payload: JSON.stringify(body), functionError: 'Unhandled' })}\n`);
  }
}

function main(): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => void answer(line));
  lines.on('close', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

if (import.meta.main) main();
