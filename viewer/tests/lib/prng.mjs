// xorshift64* (Vigna), the generator of examples/wearable.rs: seeded, the same everywhere.
export class Rng {
  constructor(seed) {
    this.s = BigInt.asUintN(64, BigInt(seed)) || 1n;
  }
  nextU64() {
    let x = this.s;
    x ^= x >> 12n;
    x = BigInt.asUintN(64, x ^ (x << 25n));
    x ^= x >> 27n;
    this.s = x;
    return BigInt.asUintN(64, x * 0x2545f4914f6cdd1dn);
  }
  /** Uniform in 0..n (n > 0, n < 2^32). */
  below(n) {
    return Number(((this.nextU64() >> 32n) * BigInt(n)) >> 32n);
  }
  /** Uniform in lo..=hi. */
  between(lo, hi) {
    return lo + this.below(hi - lo + 1);
  }
}

/**
 * One random corruption of `bytes` (a Buffer; not changed): bit flips, a truncation or a
 * garbage splice. Returns { kind, detail, bytes }.
 */
export function corrupt(bytes, rng) {
  const kinds = ['bitflip', 'truncate', 'splice'];
  const kind = kinds[rng.below(kinds.length)];
  const out = Buffer.from(bytes);
  if (kind === 'bitflip') {
    const n = rng.between(1, 8);
    const at = [];
    for (let i = 0; i < n; i++) {
      const pos = rng.below(out.length);
      out[pos] ^= 1 << rng.below(8);
      at.push(pos);
    }
    return { kind, detail: `${n} bit(s) at ${at.join(',')}`, bytes: out };
  }
  if (kind === 'truncate') {
    const len = rng.below(out.length);
    return { kind, detail: `first ${len} bytes`, bytes: out.subarray(0, len) };
  }
  // A run of garbage replacing or inserted at a random place.
  const pos = rng.below(out.length);
  const len = rng.between(1, 512);
  const garbage = Buffer.alloc(len);
  for (let i = 0; i < len; i++) garbage[i] = rng.below(256);
  const replace = rng.below(2) === 0;
  const tail = out.subarray(replace ? Math.min(out.length, pos + len) : pos);
  const spliced = Buffer.concat([out.subarray(0, pos), garbage, tail]);
  return {
    kind,
    detail: `${len} garbage bytes ${replace ? 'over' : 'inserted at'} ${pos}`,
    bytes: spliced,
  };
}
