/**
 * `npm run bench`: measurements that are not tests. Each module under scripts/bench/ returns a
 * Markdown section; figures are medians or counts, never assertions.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const only = process.argv.slice(2);
const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'bench');
const modules = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();

console.log(`# vpc-failover benchmarks\n\nNode ${process.version}, ${new Date().toISOString()}\n`);
for (const file of modules) {
  const name = file.replace(/\.ts$/, '');
  if (only.length > 0 && !only.includes(name)) continue;
  const started = performance.now();
  const { run } = (await import(join(dir, file))) as { run: () => Promise<string> };
  console.log(await run());
  console.log(`\n_${name}: ${((performance.now() - started) / 1000).toFixed(1)} s_\n`);
}
