// Runs the end-to-end tests (node's test runner, spec reporter) and closes with
// "N passed, N failed"; exits non-zero when a test fails.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .map((f) => join(here, f));
let passed = 0;
let failed = 0;
const stream = run({ files, concurrency: 1, timeout: 600_000 });
// Tests, not suites nor the files that hold them.
const counted = (d) => d.details?.type !== 'suite' && !String(d.name).endsWith('.mjs');
stream.on('test:pass', (d) => counted(d) && passed++);
stream.on('test:fail', (d) => counted(d) && failed++);
stream.compose(spec).pipe(process.stdout);
stream.on('end', () => {
  const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(here, 'screenshots');
  if (existsSync(shots)) console.log(`artefacts (screenshots, exported files) in ${shots}: ${readdirSync(shots).sort().join(', ')}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
});
