// Copies the npm files the phone page uses from interop/node_modules
// (installed by `npm ci`, which checks every tarball against the
// integrity in interop/package-lock.json) into phone/assets/vendor/, and
// writes phone/assets/vendor/VENDOR.json: each package's version, its
// published tarball's integrity and the sha256 of each file taken.
// phone's tests check the vendored files against both.
//
//   (cd interop && npm ci) && node scripts/vendor-phone.mjs
//
// Only the files the entries below reach through their imports are taken.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const modules = path.join(root, 'interop', 'node_modules');
const out = path.join(root, 'phone', 'assets', 'vendor');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'interop', 'package-lock.json'), 'utf8'));

// What the page imports: ES modules (their imports are followed) and
// classic scripts (taken as they are).
const modulesUsed = [
  'nostr-tools/lib/esm/pure.js',
  'nostr-tools/lib/esm/nip19.js',
  'nostr-tools/lib/esm/nip42.js',
  'nostr-tools/lib/esm/nip44.js',
  'nostr-tools/lib/esm/nip49.js',
  'nostr-tools/lib/esm/nip59.js',
  '@noble/hashes/sha2.js',
  'qrcode-generator/dist/qrcode.mjs',
];
const scripts = ['jsqr/dist/jsQR.js'];

function pkgOf(file) {
  const parts = file.split('/');
  return parts[0].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function resolveBare(spec) {
  const name = pkgOf(spec);
  const sub = spec.slice(name.length) || '.';
  const pj = JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8'));
  let target;
  if (pj.exports) {
    const e = pj.exports['.' + (sub === '.' ? '' : sub)] ?? pj.exports[sub === '.' ? '.' : '.' + sub];
    target = typeof e === 'string' ? e : e && (e.import || e.default || e.browser);
  }
  if (!target && sub === '.') target = pj.module || pj.main;
  if (!target) target = '.' + sub;
  return path.posix.join(name, target);
}

const files = new Set();
const queue = [...modulesUsed];
while (queue.length) {
  const f = queue.shift();
  if (files.has(f)) continue;
  files.add(f);
  // Comments hold usage examples that import other paths: drop them.
  const src = fs.readFileSync(path.join(modules, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const re = /(?:^|[;\s])(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?["']([^"']+)["']/g;
  for (const m of src.matchAll(re)) {
    const spec = m[1];
    const next = spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(f), spec)) : resolveBare(spec);
    queue.push(next);
  }
}
for (const s of scripts) files.add(s);

fs.rmSync(out, { recursive: true, force: true });
const manifest = { note: 'Written by scripts/vendor-phone.mjs; checked by phone/vendor_test.go.', packages: {} };
for (const f of [...files].sort()) {
  const name = pkgOf(f);
  const entry = lock.packages['node_modules/' + name];
  if (!entry) throw new Error(`${name} is not in interop/package-lock.json`);
  const p = (manifest.packages[name] ??= { version: entry.version, resolved: entry.resolved, integrity: entry.integrity, files: {} });
  const b = fs.readFileSync(path.join(modules, f));
  fs.mkdirSync(path.join(out, path.dirname(f)), { recursive: true });
  fs.writeFileSync(path.join(out, f), b);
  p.files[f.slice(name.length + 1)] = crypto.createHash('sha256').update(b).digest('hex');
}
for (const name of Object.keys(manifest.packages)) {
  const pj = JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8'));
  manifest.packages[name].spdx = pj.license;
  const lic = fs.readdirSync(path.join(modules, name)).find((n) => /^licen[cs]e/i.test(n));
  if (!lic) {
    // Some packages (qrcode-generator) ship no licence file: the notice
    // is in the header of each file, which is kept as it is.
    manifest.packages[name].license = 'in each file\'s header';
    continue;
  }
  const b = fs.readFileSync(path.join(modules, name, lic));
  fs.writeFileSync(path.join(out, name, lic), b);
  manifest.packages[name].license = lic;
  manifest.packages[name].files[lic] = crypto.createHash('sha256').update(b).digest('hex');
}
fs.writeFileSync(path.join(out, 'VENDOR.json'), JSON.stringify(manifest, null, 2) + '\n');
let total = 0;
for (const p of Object.values(manifest.packages)) for (const f of Object.keys(p.files)) total++;
console.log(`vendored ${total} files from ${Object.keys(manifest.packages).length} packages into ${path.relative(root, out)}`);
