/**
 * An in-process DynamoDB (dynalite, in memory) on a loopback port, with the store's table
 * created from `tableDefinition`, so tests exercise real conditional writes, queries and the GSI.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { tableDefinition } from '../shared/aws/dynamo.js';

export interface DynaliteHandle {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 (random port), creates the table and returns a client for it. */
export async function startDynalite(tableName = 'vpc-failover-test'): Promise<DynaliteHandle> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite rethrows a request's 'error' from the listener it adds to each request, so a request
  // its client abandons half-sent (a call aborted at its deadline, the shared client destroyed, or
  // closeAllConnections at stop, under a call in flight) crashed the whole process with ECONNRESET.
  // This listener runs after dynalite's: such a request just goes unanswered.
  server.on('request', (request: IncomingMessage) => {
    request.removeAllListeners('error');
    request.on('error', () => undefined);
  });
  // Node closes a keep-alive connection after 5 s idle, and a client that reuses it at that moment
  // gets ECONNRESET (seed 7007 ended on one, from the soak's own journal read after a 50 s seed).
  // Nothing here is remote: keep idle connections until the client or stop() closes them.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // A fresh test table is never throttled; retries would only hide bugs.
    maxAttempts: 1,
  });
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    client.destroy();
    await closeServer(server);
    throw error;
  }
  return {
    client,
    tableName,
    endpoint,
    async stop() {
      client.destroy();
      await closeServer(server);
    },
  };
}

function closeServer(server: ReturnType<typeof dynalite>): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
