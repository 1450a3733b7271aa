/** The probe's run lease on dynalite: one conditional write takes it, one gives it up, and it lapses at its expiry. */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeRunLease } from '../../shared/aws/probe-run-lease.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { freshTable } from '../support/harness.js';

const T0 = 1_750_000_000_000;

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

/** A lease over a table of its own, so tests cannot see each other's runs. */
async function lease() {
  const tableName = await freshTable(db, 'vpcf-run');
  return { tableName, lease: createProbeRunLease(db.client, tableName) };
}

describe('probe run lease', () => {
  it('grants the lease to the first run and refuses a second one until its expiry', async () => {
    const { lease: runs } = await lease();

    const first = await runs.claim('probe:req-1', T0, T0 + 60_000);
    const second = await runs.claim('probe:req-2', T0 + 5_000, T0 + 65_000);

    expect(first).toEqual({ granted: true });
    expect(second).toMatchObject({ granted: false });
  });

  it('keeps the lease in the probe#state partition, as the run item, with its holder and expiry', async () => {
    const { lease: runs, tableName } = await lease();

    await runs.claim('probe:req-1', T0, T0 + 60_000);

    const { Item } = await db.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'probe#state' }, sk: { S: 'run' } }, ConsistentRead: true }));
    expect(Item).toEqual({ pk: { S: 'probe#state' }, sk: { S: 'run' }, owner: { S: 'probe:req-1' }, runExpiresAt: { N: String(T0 + 60_000) } });
  });

  it('lets the next run take the lease once the holder gave it up', async () => {
    const { lease: runs } = await lease();
    await runs.claim('probe:req-1', T0, T0 + 60_000);

    await runs.release('probe:req-1', T0 + 57_000);

    expect(await runs.claim('probe:req-2', T0 + 57_001, T0 + 117_000)).toEqual({ granted: true });
  });

  it('lets the next run take a lease that was never given up once its expiry has passed', async () => {
    const { lease: runs } = await lease();
    await runs.claim('probe:crashed', T0, T0 + 60_000);

    expect(await runs.claim('probe:req-2', T0 + 59_999, T0 + 120_000)).toMatchObject({ granted: false });
    expect(await runs.claim('probe:req-2', T0 + 60_000, T0 + 120_000)).toEqual({ granted: true });
  });

  it('grants the lease again to the request that holds it (Lambda retrying the same request)', async () => {
    const { lease: runs } = await lease();
    await runs.claim('probe:req-1', T0, T0 + 60_000);

    expect(await runs.claim('probe:req-1', T0 + 1_000, T0 + 61_000)).toEqual({ granted: true });
  });

  it('never gives up a lease that another run holds now', async () => {
    const { lease: runs } = await lease();
    await runs.claim('probe:old', T0, T0 + 60_000);
    await runs.claim('probe:new', T0 + 60_000, T0 + 120_000);

    await runs.release('probe:old', T0 + 61_000);

    expect(await runs.claim('probe:third', T0 + 62_000, T0 + 122_000)).toMatchObject({ granted: false });
  });
});
