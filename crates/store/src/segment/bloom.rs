//! The per-block token filter over `@message`: a Bloom filter of byte trigrams.
//!
//! Trigrams rather than words because Insights' `like "x"` and filter-pattern terms are
//! substring matches: every substring of three or more bytes of a message has all its trigrams
//! in the message's set, so "no trigram of the needle may be present" proves the block holds no
//! match, whatever the needle's word boundaries. Needles shorter than three bytes prune nothing.

/// Hash functions per trigram in format 1-3 filters (format 4 records its own).
const K: u32 = 2;
/// Bits per distinct trigram: with 2 hash functions about 8% false positives per trigram, but a
/// needle passes only if all its trigrams do, so a 6-byte needle (4 trigrams) passes a block
/// without it ~0.004% of the time. (4 hash functions would give 5.6%, but set half the bits:
/// the filter no longer compresses, and costs 10% more than the 2-hash one does.)
const BITS_PER_ITEM: usize = 6;
/// A format 4 filter takes at most this share of its block's other (compressed) bytes, down to
/// [`MIN_BITS_PER_ITEM`]: blocks of many distinct trigrams for their size (a small block of
/// varied text) get a coarser filter rather than one a fifth of their size. With 2 bits per
/// trigram (1 hash) a trigram passes 39% of the time: a 10-byte needle still prunes 99.95%.
const BUDGET_SHARE: usize = 16;
const MIN_BITS_PER_ITEM: usize = 2;

/// Hash functions at `bits_per_item`: 1 below 3 bits per trigram (where it gives fewer false
/// positives than 2), else 2 (see [`BITS_PER_ITEM`]).
fn k_for(bits_per_item: usize) -> u32 {
    if bits_per_item < 3 { 1 } else { 2 }
}
/// Format 1-3 filters: a power of two of bits, at least 2^9 (rounding up cost up to twice the
/// bits the trigrams need: a fifth of a small text block's bytes).
const MIN_LOG2_BITS: u8 = 9;
pub(crate) const MAX_LOG2_BITS: u8 = 24;
/// Format 4 filters: any multiple of 64 bits in this range, a bit picked by multiplying the
/// hash by the size (Lemire's range reduction) rather than masking it.
const MIN_BITS: u32 = 64;
const MAX_BITS: u32 = 1 << MAX_LOG2_BITS;
/// Words of the bitmap of all 2^24 trigrams.
const SEEN_WORDS: usize = (1 << 24) / 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bloom {
    /// The filter's size in bits: a power of two in format 1-3 files, where a hash picks a bit
    /// by its low bits; a multiple of 64 from format 4 on.
    nbits: u32,
    pow2: bool,
    /// Hash functions per trigram.
    k: u32,
    bits: Vec<u8>,
}

fn trigram(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

fn hashes(t: u32) -> (u32, u32) {
    // splitmix64 finaliser: cheap and well mixed.
    let mut z = u64::from(t).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z as u32, ((z >> 32) as u32) | 1)
}

/// The distinct trigrams of a block's messages, collected in a bitmap of all 2^24 trigrams (no
/// hashing) before they go into a [`Bloom`]. The bitmap (2 MiB) is kept per thread and left
/// zeroed after use: a fresh one per block cost a page fault and a page clearing per 4 KiB,
/// every block.
#[derive(Default)]
pub(crate) struct Trigrams {
    seen: Vec<u64>,
    /// The nonzero words of `seen` (index, bits) while the filter is built: the bitmap is
    /// scanned once.
    words: Vec<(u32, u64)>,
}

thread_local! {
    static SPARE: std::cell::Cell<Trigrams> = const {
        std::cell::Cell::new(Trigrams {
            seen: Vec::new(),
            words: Vec::new(),
        })
    };
}

impl Trigrams {
    /// An empty set (this thread's bitmap, taken out while in use: a nested build on this
    /// thread gets its own).
    pub fn new() -> Self {
        let mut set = SPARE.take();
        if set.seen.len() != SEEN_WORDS {
            set.seen = vec![0u64; SEEN_WORDS];
        }
        set
    }

    /// Adds the trigrams of `bytes` (none when shorter than 3).
    #[inline]
    pub fn add(&mut self, bytes: &[u8]) {
        let seen = &mut self.seen[..SEEN_WORDS];
        for w in bytes.windows(3) {
            let t = trigram(w) as usize;
            seen[t / 64] |= 1 << (t % 64);
        }
    }

    /// The filter of the trigrams added, for a block whose other chunks take `block_bytes`
    /// (see [`BUDGET_SHARE`]); gives the (zeroed) bitmap back to this thread.
    pub fn finish(mut self, block_bytes: usize) -> Bloom {
        let bloom = Bloom::from_seen(&mut self.seen, &mut self.words, block_bytes);
        SPARE.set(self);
        bloom
    }
}

impl Bloom {
    #[cfg(test)]
    pub fn build<'a>(messages: impl Iterator<Item = &'a [u8]>, block_bytes: usize) -> Bloom {
        let mut set = Trigrams::new();
        for m in messages {
            set.add(m);
        }
        set.finish(block_bytes)
    }

    /// The filter of the trigrams marked in `seen`; leaves it zeroed (`words`: scratch).
    fn from_seen(seen: &mut [u64], words: &mut Vec<(u32, u64)>, block_bytes: usize) -> Bloom {
        words.clear();
        let mut distinct = 0;
        for (i, word) in seen.iter_mut().enumerate() {
            if *word != 0 {
                distinct += word.count_ones() as usize;
                words.push((i as u32, std::mem::take(word)));
            }
        }
        let budget = block_bytes.saturating_mul(8) / BUDGET_SHARE;
        let per_item = (budget / distinct.max(1)).clamp(MIN_BITS_PER_ITEM, BITS_PER_ITEM);
        let want = (distinct * per_item).clamp(MIN_BITS as usize, MAX_BITS as usize);
        let nbits = want.next_multiple_of(64) as u32;
        let mut bloom = Bloom {
            nbits,
            pow2: false,
            k: k_for(per_item),
            bits: vec![0; nbits as usize / 8],
        };
        for &(i, mut w) in words.iter() {
            while w != 0 {
                let t = i * 64 + w.trailing_zeros();
                w &= w - 1;
                let (h1, h2) = hashes(t);
                for k in 0..bloom.k {
                    let bit = bloom.bit(h1.wrapping_add(k.wrapping_mul(h2)));
                    bloom.bits[(bit / 8) as usize] |= 1 << (bit % 8);
                }
            }
        }
        bloom
    }

    /// The bit a hash picks.
    #[inline]
    fn bit(&self, h: u32) -> u32 {
        if self.pow2 {
            h & (self.nbits - 1)
        } else {
            ((u64::from(h) * u64::from(self.nbits)) >> 32) as u32
        }
    }

    /// Whether a message of this block may contain `needle`.
    pub fn may_contain(&self, needle: &[u8]) -> bool {
        needle.windows(3).all(|w| {
            let (h1, h2) = hashes(trigram(w));
            (0..self.k).all(|i| {
                let bit = self.bit(h1.wrapping_add(i.wrapping_mul(h2)));
                self.bits
                    .get((bit / 8) as usize)
                    .is_some_and(|b| b & (1 << (bit % 8)) != 0)
            })
        })
    }

    /// Format 4: the size in bits (`u32le`), the number of hash functions (`u8`), the bits.
    pub fn encode(&self, out: &mut Vec<u8>) {
        debug_assert!(!self.pow2);
        out.extend_from_slice(&self.nbits.to_le_bytes());
        out.push(self.k as u8);
        out.extend_from_slice(&self.bits);
    }

    /// A filter as the file's `version` lays it out (before 4: `log2(bits)`, then the bits).
    pub fn decode(bytes: &[u8], version: u32) -> Option<Bloom> {
        let (nbits, pow2, k, bits) = if version >= 4 {
            let (head, bits) = bytes.split_at_checked(5)?;
            let nbits = u32::from_le_bytes(head[..4].try_into().ok()?);
            let k = u32::from(head[4]);
            let ok = (MIN_BITS..=MAX_BITS).contains(&nbits) && nbits % 64 == 0;
            (
                ok.then_some(nbits)?,
                false,
                (1..=4).contains(&k).then_some(k)?,
                bits,
            )
        } else {
            let (&log2_bits, bits) = bytes.split_first()?;
            let ok = (MIN_LOG2_BITS..=MAX_LOG2_BITS).contains(&log2_bits);
            (ok.then(|| 1u32 << log2_bits)?, true, K, bits)
        };
        (bits.len() == nbits as usize / 8).then(|| Bloom {
            nbits,
            pow2,
            k,
            bits: bits.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_substring_and_rejects_most_others() {
        let msgs = ["2026-11-01 ERROR payment failed for order 42", "INFO ok"];
        let bloom = Bloom::build(msgs.iter().map(|m| m.as_bytes()), usize::MAX);
        for m in msgs {
            for i in 0..m.len() {
                for j in i..=m.len() {
                    assert!(bloom.may_contain(&m.as_bytes()[i..j]), "{}", &m[i..j]);
                }
            }
        }
        assert!(bloom.may_contain(b"ab"), "short needles prune nothing");
        let absent = ["WARNING", "timeout", "xyzzy", "Exception"];
        assert!(
            absent
                .iter()
                .filter(|n| bloom.may_contain(n.as_bytes()))
                .count()
                <= 1
        );
        let mut buf = Vec::new();
        bloom.encode(&mut buf);
        assert_eq!(Bloom::decode(&buf, 4), Some(bloom.clone()));
        assert_eq!(
            Bloom::decode(&buf, 3),
            None,
            "a format 4 filter is no format 3 one"
        );
        // The per-thread bitmap is left clean: the same input builds the same filter, and a
        // later block does not inherit an earlier one's trigrams.
        let again = Bloom::build(msgs.iter().map(|m| m.as_bytes()), usize::MAX);
        assert_eq!(again, bloom);
        let other = Bloom::build(["xyz"].iter().map(|m| m.as_bytes()), usize::MAX);
        assert!(!other.may_contain(b"ERROR"));
    }

    #[test]
    fn a_filter_over_budget_is_coarser_and_still_never_misses() {
        let msgs: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    "user{i} logged in from host-{} after {}ms",
                    i * 7919 % 1000,
                    i * 31
                )
            })
            .collect();
        let full = Bloom::build(msgs.iter().map(|m| m.as_bytes()), usize::MAX);
        // 6 bits per distinct trigram in full (~1,250 of them); a block of 2 KB gets a filter
        // of 256 bytes, but not under 2 bits per trigram.
        let small = Bloom::build(msgs.iter().map(|m| m.as_bytes()), 2048);
        assert!(
            small.bits.len() * 3 == full.bits.len(),
            "{} {}",
            small.bits.len(),
            full.bits.len()
        );
        assert_eq!((full.k, small.k), (2, 1));
        for m in &msgs {
            for i in 0..m.len().saturating_sub(3) {
                let needle = &m.as_bytes()[i..(i + 6).min(m.len())];
                assert!(full.may_contain(needle) && small.may_contain(needle));
            }
        }
        let mut buf = Vec::new();
        small.encode(&mut buf);
        assert_eq!(Bloom::decode(&buf, 4), Some(small.clone()));
        // Long absent needles are still mostly pruned by the coarse filter.
        let absent = (0..200)
            .filter(|i| small.may_contain(format!("zq{i}xwvQ{i}kj").as_bytes()))
            .count();
        assert!(absent < 20, "{absent}");
    }
}
