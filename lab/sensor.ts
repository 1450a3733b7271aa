/**
 * The in-VPC sensor of the lab: functions/sensor.ts running in the sensor namespace (a child
 * process, lab/sensor-child.ts), reached the way the probe reaches the Lambda: one Invoke per
 * round, answered within the function's 10 s timeout or not at all.
 */
import { fileURLToPath } from 'node:url';
import { readLines } from './agents.js';
import type { InvokeAnswer } from './clients.js';
import { LabError } from './errors.js';
import type { NamespaceSet } from './netns.js';

/** The sensor function's timeout (serverless.yml): an Invoke that takes longer fails. */
export const SENSOR_TIMEOUT_MS = 10_000;

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface SensorProcess {
  invoke(payload: string): Promise<InvokeAnswer>;
}

/** Starts the sensor in namespace `host` and waits until it takes requests. */
export async function startSensor(namespaces: NamespaceSet, host: string, lifetimeSeconds: number): Promise<SensorProcess> {
  const child = namespaces.spawn(host, [process.execPath, '--import', 'tsx', 'lab/sensor-child.ts'], lifetimeSeconds, { cwd: ROOT });
  const waiting = new Map<number, (answer: InvokeAnswer) => void>();
  await readLines(child, 'the sensor', (line) => {
    let parsed: { id?: number; payload?: string; functionError?: string };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return;
    }
    const resolve = parsed.id === undefined ? undefined : waiting.get(parsed.id);
    if (!resolve || parsed.payload === undefined) return;
    resolve({ payload: parsed.payload, ...(parsed.functionError === undefined ? {} : { functionError: parsed.functionError }) });
  });
  let next = 0;
  return {
    invoke(payload) {
      const id = (next += 1);
      return new Promise<InvokeAnswer>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          const error = new Error(`the sensor did not answer within ${SENSOR_TIMEOUT_MS} ms`);
          // What the SDK raises when a request times out: a retriable "could not see", never "down".
          error.name = 'TimeoutError';
          reject(error);
        }, SENSOR_TIMEOUT_MS);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(answer);
        });
        if (child.exitCode !== null || child.stdin === null || !child.stdin.writable) {
          clearTimeout(timer);
          waiting.delete(id);
          reject(new LabError('the sensor process is gone'));
          return;
        }
        child.stdin.write(`${JSON.stringify({ id, payload })}\n`);
      });
    },
  };
}
