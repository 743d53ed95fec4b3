// Fixtures of the browser tests: the CLI and converter built from this checkout, the files the
// page is given, and what `koffer inspect --json` / `koffer export` say about each of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The page under test: the shipped one (KOFFER_VIEWER_PAGE=FILE tests another build). */
export const PAGE = process.env.KOFFER_VIEWER_PAGE
  ? resolve(process.env.KOFFER_VIEWER_PAGE)
  : join(ROOT, 'viewer/koffer-viewer.html');
export const TARGET = process.env.CARGO_TARGET_DIR
  ? resolve(ROOT, process.env.CARGO_TARGET_DIR)
  : join(ROOT, 'target');
/** The FIT file converted for the tests: a bicycle ride with positions, 356 KB. */
export const FIT_SAMPLE = 'samples/realdata/fit/garmin-edge-500-activity.fit';

function cargo(args) {
  execFileSync('cargo', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

let built = null;
/** Builds (if needed) the `koffer` command and `fit2koffer`; returns their paths. */
export function tools() {
  if (built) return built;
  if (process.env.KOFFER_BIN && process.env.FIT2KOFFER_BIN) {
    built = { koffer: process.env.KOFFER_BIN, fit2koffer: process.env.FIT2KOFFER_BIN };
    return built;
  }
  cargo(['build', '-q', '-p', 'koffer-cli', '-p', 'koffer-convert', '--bin', 'koffer', '--bin', 'fit2koffer']);
  built = { koffer: join(TARGET, 'debug/koffer'), fit2koffer: join(TARGET, 'debug/fit2koffer') };
  return built;
}

/**
 * What `koffer inspect` says of a file: `{ exit, json, status, records, blocks, perType, error }`.
 * `status` is the JSON's status (`complete`, `incomplete`, `corrupt`, `unsupported`) or, where the
 * command prints no JSON (the header is unreadable), the error's class from `-v`
 * (`incomplete`, `not_a_container`, `unsupported`, `corrupt`).
 */
export function inspect(path) {
  const { koffer } = tools();
  const r = spawnSync(koffer, ['-v', 'inspect', '--json', path], { encoding: 'utf8' });
  if (r.error) throw r.error;
  let json = null;
  if (r.stdout.trim()) json = JSON.parse(r.stdout);
  let status;
  let error = null;
  if (json) {
    status = json.status;
    error = json.error;
  } else {
    const m = /error kind: (\w+) \((\w+)\)/.exec(r.stderr);
    if (!m) throw new Error(`koffer inspect ${path}: no JSON and no error kind: ${r.stderr}`);
    status = m[2];
    error = { kind: m[1], class: m[2], message: r.stderr.split('\n')[0] };
  }
  return {
    exit: r.status,
    json,
    status,
    error,
    records: json ? json.records : 0,
    blocks: json ? json.blocks : 0,
    perType: json ? json.record_types.map((t) => ({ id: t.id, name: t.name, records: t.records })) : [],
  };
}

/** `koffer export --format csv -o DIR FILE`: `{ exit, files: { 'sample.csv': Buffer, ... } }`. */
export function exportCsv(path, dir) {
  const { koffer } = tools();
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(koffer, ['export', '--format', 'csv', '-o', dir, path]);
  const files = {};
  for (const f of readdirSync(dir)) files[f] = readFileSync(join(dir, f));
  return { exit: r.status, files };
}

/** `koffer export --format json FILE`: `{ exit, bytes }`. */
export function exportJson(path) {
  const { koffer } = tools();
  const r = spawnSync(koffer, ['export', '--format', 'json', path], { maxBuffer: 1 << 30 });
  return { exit: r.status, bytes: r.stdout };
}

/** Deterministic damage: cut inside a block (not on a frame boundary), or one bit flipped. */
export function truncated(bytes) {
  return bytes.subarray(0, Math.floor(bytes.length * 0.517));
}
export function bitFlipped(bytes) {
  const out = Buffer.from(bytes);
  out[Math.floor(out.length * 0.5)] ^= 0x10;
  return out;
}

/**
 * Writes every named fixture into a fresh temporary directory and returns
 * `{ dir, files: { name: path } }`: the sample, a FIT conversion, a truncated and a bit-flipped
 * sample, an empty file and a file that is not a container.
 */
export function makeFixtures() {
  const dir = mkdtempSync(join(tmpdir(), 'koffer-viewer-tests-'));
  const { fit2koffer } = tools();
  const sample = join(ROOT, 'samples/wearable.koffer');
  const bytes = readFileSync(sample);
  const files = {
    'wearable.koffer': join(dir, 'wearable.koffer'),
    'edge500.koffer': join(dir, 'edge500.koffer'),
    'truncated.koffer': join(dir, 'truncated.koffer'),
    'bitflip.koffer': join(dir, 'bitflip.koffer'),
    'empty.koffer': join(dir, 'empty.koffer'),
    'not-a-container.koffer': join(dir, 'not-a-container.koffer'),
    'shared.koffer': join(dir, 'shared.koffer'),
  };
  copyFileSync(sample, files['wearable.koffer']);
  execFileSync(fit2koffer, [join(ROOT, FIT_SAMPLE), files['edge500.koffer']], { stdio: 'ignore' });
  writeFileSync(files['truncated.koffer'], truncated(bytes));
  writeFileSync(files['bitflip.koffer'], bitFlipped(bytes));
  writeFileSync(files['empty.koffer'], Buffer.alloc(0));
  // The first bytes of this repository's README: text, not a container.
  writeFileSync(files['not-a-container.koffer'], readFileSync(join(ROOT, 'README.md')).subarray(0, 4096));
  // A selection of the sample with its disclosure receipt (spec disclosure.md), by `koffer share`.
  execFileSync(tools().koffer, [
    'share', sample, '-o', files['shared.koffer'], '--ledger', join(dir, 'ledger.koffer'),
    '--recipient', 'Sleep Lab Basel', '--recipient-id', 'https://sleeplab.example/',
    '--purpose', 'sleep study', '--purpose-iri', 'dpv:ResearchAndDevelopment',
    '--from', '2026-09-15T00:00:00Z', '--until', '2026-09-16T00:00:00Z',
    '--drop', 'lat', '--drop', 'lon', '--coarsen', 'heart_rate=5', '--expires', '2027-01-01T00:00:00Z',
  ], { stdio: 'ignore' });
  makeSealFixtures(dir, files, sample);
  return { dir, files };
}

/** CRC-32C (Castagnoli, reflected 0x82F63B78), spec format.md §2.3, seeded with `crc`. */
function crc32c(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

/**
 * The frames of a container (spec format.md §4): `[{ kind, offset, bodyOffset, bodyLen, size }]`,
 * read by their heads only (kind, 3-byte length, head check, body, 4-byte checksum).
 */
export function frames(bytes) {
  const out = [];
  for (let o = 18; o + 9 <= bytes.length; ) {
    const len = bytes[o + 1] | (bytes[o + 2] << 8) | (bytes[o + 3] << 16);
    const size = 5 + len + 4;
    if (o + size > bytes.length) break;
    out.push({ kind: bytes[o], offset: o, bodyOffset: o + 5, bodyLen: len, size });
    o += size;
  }
  return out;
}

/**
 * A sealed container altered after sealing: one byte flipped inside the body of block number
 * `nth` (counting from 0), and every frame checksum from there on rebuilt (they chain, spec
 * format.md §4.1), so the container itself stays intact: only the seals can tell.
 * Returns `{ bytes, at }` (`at`: the byte changed).
 */
export function tampered(bytes, nth) {
  const out = Buffer.from(bytes);
  const fs = frames(out);
  const blocks = fs.filter((f) => f.kind === 0x03);
  const b = blocks[nth];
  const at = b.bodyOffset + b.bodyLen - 1; // the last byte of the block's last record
  out[at] ^= 0x01;
  for (const f of fs.filter((x) => x.offset >= b.offset)) {
    const end = f.offset + f.size - 4;
    const c = crc32c(out.subarray(f.offset, end), crc32c(out.subarray(f.offset - 4, f.offset)));
    out.writeUInt32LE(c, end);
  }
  return { bytes: out, at };
}

/**
 * Sealed fixtures (spec seal.md), by `koffer keygen` and `koffer seal`: the sample sealed every
 * 4 blocks with the key `vendor`; the same cut short inside a block; the same with one record
 * byte changed after sealing (checksums rebuilt); the public keys `vendor.pub` and `other.pub`,
 * and a `.pub` that is not a key file.
 */
function makeSealFixtures(dir, files, sample) {
  const { koffer } = tools();
  for (const name of ['vendor', 'other']) {
    execFileSync(koffer, ['keygen', '-o', join(dir, name)], { stdio: 'ignore' });
    files[`${name}.pub`] = join(dir, `${name}.pub`);
  }
  files['not-a-key.pub'] = join(dir, 'not-a-key.pub');
  writeFileSync(files['not-a-key.pub'], 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host\n');
  files['sealed.koffer'] = join(dir, 'sealed.koffer');
  execFileSync(koffer, ['seal', sample, '-o', files['sealed.koffer'], '--key', join(dir, 'vendor.key'), '--every', '4'], { stdio: 'ignore' });
  const sealed = readFileSync(files['sealed.koffer']);
  files['sealed-cut.koffer'] = join(dir, 'sealed-cut.koffer');
  writeFileSync(files['sealed-cut.koffer'], truncated(sealed));
  files['sealed-tampered.koffer'] = join(dir, 'sealed-tampered.koffer');
  const blocks = frames(sealed).filter((f) => f.kind === 0x03).length;
  writeFileSync(files['sealed-tampered.koffer'], tampered(sealed, Math.floor(blocks * 0.6)).bytes);
}

/**
 * `koffer verify --key PUB FILE`: `{ exit, out }` (`out`: standard output and error). Exit 0
 * authentic, 3 authentic up to a byte, 6 not authentic (spec command.md).
 */
export function verifyKey(path, pub) {
  const r = spawnSync(tools().koffer, ['verify', '--key', pub, path], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { exit: r.status, out: r.stdout + r.stderr };
}
