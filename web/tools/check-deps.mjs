// Checks that web/node_modules holds exactly the versions web/package-lock.json pins
// (a stale node_modules would test other code than CI runs). ctest: lint/web-deps.
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const web = resolve(process.argv[2] || '.');
const lock = JSON.parse(readFileSync(join(web, 'package-lock.json'), 'utf8'));
if (lock.lockfileVersion !== 3) {
  console.log(`package-lock.json has lockfileVersion ${lock.lockfileVersion}, want 3 (npm 9 and later read it)`);
  process.exit(1);
}
const problems = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.startsWith('node_modules/')) continue;
  const manifest = join(web, path, 'package.json');
  if (!existsSync(manifest)) {
    problems.push(`${path} is missing (lock pins ${entry.version})`);
    continue;
  }
  const installed = JSON.parse(readFileSync(manifest, 'utf8')).version;
  if (installed !== entry.version) problems.push(`${path} is ${installed}, the lock pins ${entry.version}`);
}
const pkg = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8'));
for (const deps of [pkg.dependencies, pkg.devDependencies]) {
  for (const [name, want] of Object.entries(deps || {})) {
    if (!/^\d+\.\d+\.\d+$/.test(want)) problems.push(`package.json: ${name} is "${want}", not an exact version`);
    const locked = lock.packages[`node_modules/${name}`];
    if (!locked || locked.version !== want) problems.push(`package.json pins ${name} ${want}, the lock has ${locked ? locked.version : 'nothing'}`);
  }
}
if (problems.length) {
  console.log(`web/node_modules does not match the lock (run \`make deps\`, or npm ci in web/):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`web/node_modules matches package-lock.json (${Object.keys(lock.packages).length - 1} packages)`);
