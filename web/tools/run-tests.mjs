// Runs the web app's node tests (what ctest's web/unit and web/e2e/<name> call).
//
//   node web/tools/run-tests.mjs web/test/unit        every *.test.mjs in one `node --test`
//   node web/tools/run-tests.mjs --e2e web/test/e2e   one `node --test` per file, one after
//                                                     another (each starts hail and Chromium)
//   node web/tools/run-tests.mjs --e2e web/test/e2e/people.test.mjs [more files or dirs]
//                                                     just those files (ctest runs each e2e
//                                                     file as its own test, web/e2e/<name>)
//
// Test files are listed here rather than left to `node --test <dir>` so Node 18 and
// later Nodes (which read arguments as globs) run the same files. Exit 77 (ctest's
// SKIP_RETURN_CODE) when there is nothing to run: no test files, or for --e2e no
// Chromium at HAIL_CHROMIUM (default /usr/bin/chromium). Node 18 compatible.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SKIP = 77;
const args = process.argv.slice(2);
const e2e = args[0] === '--e2e';
const paths = (e2e ? args.slice(1) : args).map((p) => resolve(p));
if (paths.length === 0) paths.push(resolve('.'));

function isTestFile(name) {
  return name.endsWith('.test.mjs') || name.endsWith('.test.js');
}

function testFiles(d) {
  if (!statSync(d).isDirectory()) return isTestFile(d) ? [d] : [];
  const out = [];
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (isTestFile(name)) out.push(p);
  }
  return out;
}

const missing = paths.filter((p) => !existsSync(p));
if (missing.length) {
  console.log(`no such file or directory: ${missing.join(', ')}`);
  process.exit(2);
}
const files = paths.flatMap(testFiles);
if (files.length === 0) {
  console.log(`SKIPPED: no *.test.mjs files at ${paths.join(', ')}`);
  process.exit(SKIP);
}
if (e2e) {
  const chromium = process.env.HAIL_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    console.log(`SKIPPED: the end-to-end tests need Chromium at ${chromium}, which does not exist ` +
                `(install Debian's chromium package with \`make deps\`, or set HAIL_CHROMIUM)`);
    process.exit(SKIP);
  }
}

let failed = [];
const runs = e2e ? files.map((f) => [f]) : [files];
for (const group of runs) {
  if (e2e) console.log(`# ${group[0]}`);
  const r = spawnSync(process.execPath, ['--test', ...group], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) failed.push(...group.map((f) => `${f} (exit ${r.status ?? r.signal})`));
}
if (failed.length) {
  console.log(`FAILED:\n  ${failed.join('\n  ')}`);
  process.exit(1);
}
console.log(`all ${files.length} test file(s) passed`);
