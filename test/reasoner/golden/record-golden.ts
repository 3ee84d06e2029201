/**
 * Writes reasoner-golden.json from the current reasoner: run only to accept a
 * deliberate change of behaviour (`npx tsx test/reasoner/golden/record-golden.ts`),
 * and name each changed case in the commit.
 */
import { writeFileSync } from 'node:fs';
import { allCases, transcript } from './cases';

async function main() {
  const out: Record<string, unknown> = {};
  for (const c of allCases()) {
    if (c.id in out) throw new Error(`duplicate case ${c.id}`);
    out[c.id] = await transcript(c.incident, c.limits);
  }
  writeFileSync(new URL('./reasoner-golden.json', import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
  console.log(`${Object.keys(out).length} cases`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
