//! Little byte-level helpers shared by the segment writer and reader: LEB128 varints, zigzag,
//! and a bounds-checked cursor whose every read returns `None` instead of running past the end.

pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// The Fx hash (as in rustc): much faster than SipHash on the short keys the writer hashes
/// per event (field names, templates). Keys come from log data, but a writer's maps live for
/// one block, so hash flooding can only slow one seal down.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Whole words by value, the tail byte by byte: no variable-length copy (a `memmove`
        // call) per word.
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.write_u64(u64::from_le_bytes(a));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut v = 0u64;
            for (i, &b) in tail.iter().enumerate() {
                v |= u64::from(b) << (8 * i);
            }
            self.write_u64(v);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
pub(crate) type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;
pub(crate) type FxHashSet<K> = std::collections::HashSet<K, FxBuild>;

#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// How far into the buffer the cursor is.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Skips `n` varints without decoding them; `None` if the buffer ends first.
    pub fn skip_varints(&mut self, n: usize) -> Option<()> {
        let rest = self.buf.get(self.pos..)?;
        let mut seen = 0usize;
        let mut i = 0usize;
        // Eight bytes at a time while the n-th end is further on: count the bytes that end a
        // varint (high bit clear).
        while i + 8 <= rest.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&rest[i..i + 8]);
            let ends = (!u64::from_le_bytes(word) & 0x8080_8080_8080_8080).count_ones() as usize;
            if seen + ends >= n {
                break;
            }
            seen += ends;
            i += 8;
        }
        while seen < n {
            let b = *rest.get(i)?;
            seen += usize::from(b < 0x80);
            i += 1;
        }
        self.pos += i;
        Some(())
    }

    /// Where each of the next `n` values starts, read from their `n` varint lengths (each at
    /// most `max_each`), with one more offset at the end: the total.
    pub fn offsets(&mut self, n: usize, max_each: usize) -> Option<Vec<usize>> {
        let mut offsets = Vec::with_capacity(n.min(self.remaining()) + 1);
        let mut total = 0usize;
        offsets.push(0);
        for _ in 0..n {
            total = total.checked_add(self.len(max_each)?)?;
            offsets.push(total);
        }
        Some(offsets)
    }

    /// The sum of the next `n` varints (lengths, say); `None` if the buffer ends first or a
    /// varint is malformed.
    pub fn sum_varints(&mut self, n: usize) -> Option<u64> {
        let mut total = 0u64;
        for _ in 0..n {
            let b = *self.buf.get(self.pos)?;
            if b < 0x80 {
                self.pos += 1;
                total += u64::from(b);
            } else {
                total = total.checked_add(self.uvarint()?)?;
            }
        }
        Some(total)
    }

    /// The next `n` zigzag varints as deltas, each added to the value before it (the first
    /// to `start`), appended to `out`: how timestamps and integer columns are stored.
    pub fn delta_ivarints(&mut self, n: usize, start: i64, out: &mut Vec<i64>) -> Option<()> {
        out.reserve(n.min(self.remaining()));
        let mut prev = start;
        for _ in 0..n {
            // One- and two-byte varints inline (nearly all deltas); longer ones the slow way.
            let b0 = *self.buf.get(self.pos)?;
            let v = if b0 < 0x80 {
                self.pos += 1;
                u64::from(b0)
            } else {
                match self.buf.get(self.pos + 1) {
                    Some(&b1) if b1 < 0x80 => {
                        self.pos += 2;
                        u64::from(b0 & 0x7f) | u64::from(b1) << 7
                    }
                    _ => self.uvarint()?,
                }
            };
            prev = prev.wrapping_add(unzigzag(v));
            out.push(prev);
        }
        Some(())
    }

    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }

    pub fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }

    pub fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }

    pub fn uvarint(&mut self) -> Option<u64> {
        let rest = self.buf.get(self.pos..)?;
        // Most varints here are one byte.
        if let Some(&b) = rest.first()
            && b < 0x80
        {
            self.pos += 1;
            return Some(u64::from(b));
        }
        let mut v = 0u64;
        for (i, &b) in rest.iter().take(10).enumerate() {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Some(v);
            }
        }
        None
    }

    /// A varint that must fit in `usize` and be at most `max`.
    pub fn len(&mut self, max: usize) -> Option<usize> {
        let v = usize::try_from(self.uvarint()?).ok()?;
        (v <= max).then_some(v)
    }

    pub fn ivarint(&mut self) -> Option<i64> {
        self.uvarint().map(unzigzag)
    }

    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.len(self.remaining())?;
        self.take(n)
    }

    pub fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let values = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        let mut buf = Vec::new();
        for v in values {
            put_uvarint(&mut buf, v);
        }
        let mut c = Cursor::new(&buf);
        for v in values {
            assert_eq!(c.uvarint(), Some(v));
        }
        assert!(c.at_end());
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        // Eleven continuation bytes is not a varint.
        assert_eq!(Cursor::new(&[0xff; 11]).uvarint(), None);
    }

    /// Delta decoding in one pass gives what decoding the varints one by one does, for
    /// deltas of every length.
    #[test]
    fn delta_ivarints_agree_with_one_by_one() {
        let deltas = [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            8191,
            -8192,
            8192,
            1 << 40,
            i64::MIN,
            i64::MAX,
        ];
        let mut buf = Vec::new();
        for d in deltas {
            put_uvarint(&mut buf, zigzag(d));
        }
        let mut out = Vec::new();
        let mut c = Cursor::new(&buf);
        c.delta_ivarints(deltas.len(), 7, &mut out).unwrap();
        assert!(c.at_end());
        let mut prev = 7i64;
        let expected: Vec<i64> = deltas
            .iter()
            .map(|d| {
                prev = prev.wrapping_add(*d);
                prev
            })
            .collect();
        assert_eq!(out, expected);
        // A buffer that ends inside a varint is not one.
        let mut out = Vec::new();
        assert_eq!(
            Cursor::new(&buf[..buf.len() - 1]).delta_ivarints(deltas.len(), 0, &mut out),
            None
        );
        assert_eq!(Cursor::new(&[0x80]).delta_ivarints(1, 0, &mut out), None);
    }

    /// Skipping and summing `n` varints lands where decoding them one by one does.
    #[test]
    fn skipping_and_summing_agree_with_decoding() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = Vec::new();
        for _ in 0..500 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Mostly one-byte values, some long ones.
            values.push(match state % 4 {
                0 => state >> 40,
                _ => state % 128,
            });
        }
        let mut buf = Vec::new();
        for &v in &values {
            put_uvarint(&mut buf, v);
        }
        for n in [0, 1, 7, 8, 9, 63, 64, 65, 300, 500] {
            let mut decoded = Cursor::new(&buf);
            let mut sum = 0u64;
            for _ in 0..n {
                sum += decoded.uvarint().unwrap();
            }
            let mut skipped = Cursor::new(&buf);
            skipped.skip_varints(n).unwrap();
            assert_eq!(skipped.position(), decoded.position(), "skip {n}");
            let mut summed = Cursor::new(&buf);
            assert_eq!(summed.sum_varints(n), Some(sum), "sum {n}");
            assert_eq!(summed.position(), decoded.position(), "sum {n}");
        }
        assert_eq!(Cursor::new(&buf).skip_varints(501), None);
        assert_eq!(Cursor::new(&buf).sum_varints(501), None);
    }
}
