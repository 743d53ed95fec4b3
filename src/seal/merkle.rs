//! The Merkle tree over a segment's block frames (spec `seal.md` §4.2):
//! RFC 9162 §2.1, built as leaves stream in, with no allocator.
//!
//! ```text
//! leaf = SHA-256(0x00 ‖ the block frame's bytes, kind to checksum)
//! node = SHA-256(0x01 ‖ left ‖ right)
//! MTH of no leaves = SHA-256 of no bytes
//! ```

use sha2::{Digest as _, Sha256};

use crate::seal::MAX_EVERY;

/// Levels of stored subtree roots: enough for [`MAX_EVERY`] leaves.
const LEVELS: usize = 16;
const _: () = assert!((MAX_EVERY as u64) < (1u64 << LEVELS));

/// SHA-256 `update`, kept out of line: one copy of its code on a device
/// (the running digest, the leaves and the nodes all call it).
#[inline(never)]
pub(crate) fn sha_update(h: &mut Sha256, bytes: &[u8]) {
    h.update(bytes);
}

/// SHA-256 `finalize` into `out`, resetting `h`; out of line, like [`sha_update`].
#[inline(never)]
pub(crate) fn sha_finish(h: &mut Sha256, out: &mut [u8; 32]) {
    sha2::Digest::finalize_into_reset(h, out.into());
}

/// The hash of a leaf whose data is `frame`.
pub fn leaf_hash(frame: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    sha_update(&mut h, &[0x00]);
    sha_update(&mut h, frame);
    let mut out = [0u8; 32];
    sha_finish(&mut h, &mut out);
    out
}

/// The hash of an interior node.
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    sha_update(&mut h, &[0x01]);
    sha_update(&mut h, left);
    sha_update(&mut h, right);
    let mut out = [0u8; 32];
    sha_finish(&mut h, &mut out);
    out
}

/// A Merkle tree head computed leaf by leaf: the roots of its perfect
/// subtrees, one per set bit of the leaf count (512 bytes).
///
/// ```
/// use koffer::seal::merkle::{leaf_hash, node_hash, Merkle};
/// let mut m = Merkle::new();
/// for data in [&b"a"[..], b"b", b"c"] {
///     m.push(leaf_hash(data));
/// }
/// // RFC 9162: MTH(a, b, c) = node(node(a, b), c).
/// let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
/// assert_eq!(m.root(), node_hash(&node_hash(&a, &b), &c));
/// ```
#[derive(Clone, Debug)]
pub struct Merkle {
    nodes: [[u8; 32]; LEVELS],
    len: u32,
}

impl Default for Merkle {
    fn default() -> Self {
        Self::new()
    }
}

impl Merkle {
    /// A tree with no leaves.
    pub const fn new() -> Self {
        Merkle {
            nodes: [[0; 32]; LEVELS],
            len: 0,
        }
    }

    /// Back to no leaves, in place.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Number of leaves.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True if there are no leaves.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a leaf hash. Returns false, and adds nothing, once the tree
    /// holds [`MAX_EVERY`] leaves.
    pub fn push(&mut self, leaf: [u8; 32]) -> bool {
        if self.len >= MAX_EVERY {
            return false;
        }
        let mut node = leaf;
        let mut level = 0;
        while self.len & (1 << level) != 0 {
            node = node_hash(&self.nodes[level], &node);
            level += 1;
        }
        self.nodes[level] = node;
        self.len += 1;
        true
    }

    /// The tree head (RFC 9162 §2.1 MTH).
    pub fn root(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.root_into(&mut out);
        out
    }

    /// [`root`](Self::root), written into `out`.
    pub fn root_into(&self, out: &mut [u8; 32]) {
        if self.len == 0 {
            sha_finish(&mut Sha256::new(), out);
            return;
        }
        // The lowest set bit's subtree is the rightmost; fold leftwards.
        let mut first = true;
        for level in 0..LEVELS {
            if self.len & (1 << level) != 0 {
                if first {
                    *out = self.nodes[level];
                    first = false;
                } else {
                    let right = *out;
                    *out = node_hash(&self.nodes[level], &right);
                }
            }
        }
    }
}

/// The tree head of `leaves` (leaf hashes), RFC 9162 §2.1.1, by recursion.
#[cfg(feature = "alloc")]
fn subtree(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&subtree(&leaves[..k]), &subtree(&leaves[k..]))
        }
    }
}

/// The largest power of 2 below `n` (n ≥ 2).
#[cfg(feature = "alloc")]
fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf `index` among
/// `leaves` (leaf hashes of a segment's blocks, in order); `None` if `index`
/// is out of range. Feature `alloc`.
///
/// ```
/// use koffer::seal::merkle::{inclusion_path, leaf_hash, verify_inclusion, Merkle};
/// let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
/// let mut tree = Merkle::new();
/// leaves.iter().for_each(|l| { tree.push(*l); });
/// let path = inclusion_path(&leaves, 3).unwrap();
/// assert!(verify_inclusion(&leaves[3], 3, 5, &path, &tree.root()));
/// assert!(!verify_inclusion(&leaves[2], 3, 5, &path, &tree.root()));
/// ```
#[cfg(feature = "alloc")]
pub fn inclusion_path(leaves: &[[u8; 32]], index: usize) -> Option<alloc::vec::Vec<[u8; 32]>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = alloc::vec::Vec::new();
    let (mut lo, mut hi, mut m) = (0, leaves.len(), index);
    let mut stack = alloc::vec::Vec::new();
    while hi - lo > 1 {
        let k = split(hi - lo);
        if m < k {
            stack.push(subtree(&leaves[lo + k..hi]));
            hi = lo + k;
        } else {
            stack.push(subtree(&leaves[lo..lo + k]));
            lo += k;
            m -= k;
        }
    }
    // RFC order: the sibling nearest the leaf first.
    while let Some(h) = stack.pop() {
        path.push(h);
    }
    Some(path)
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2): that `leaf` (a leaf hash)
/// is leaf `index` of a tree of `size` leaves whose head is `root`. A SEAL
/// frame's `leaf_count` and `merkle_root` give `size` and `root` for the
/// blocks of its segment. No allocation; work bounded by `path.len()`.
pub fn verify_inclusion(
    leaf: &[u8; 32],
    index: u64,
    size: u64,
    path: &[[u8; 32]],
    root: &[u8; 32],
) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s, mut r) = (index, size - 1, *leaf);
    for p in path {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}
