//! Cheap deterministic hashing: every generated number is a pure function of the seed
//! and the identity of what it describes (object, day, salt).

/// SplitMix64 finaliser.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a list of words.
#[inline]
pub(crate) fn h(parts: &[u64]) -> u64 {
    let mut acc = 0x51_7CC1_B727_220A_u64;
    for p in parts {
        acc = mix(acc ^ p.wrapping_mul(0x2545_F491_4F6C_DD1D));
    }
    acc
}

/// Uniform number in [0, 1) from a hash.
#[inline]
pub(crate) fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform number in [lo, hi) from the hash of `parts`.
#[inline]
pub(crate) fn range(parts: &[u64], lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(h(parts))
}

/// Hash of a string (FNV-1a then mixed), for request identities.
pub(crate) fn str_hash(s: &str) -> u64 {
    let mut acc = 0xcbf2_9ce4_8422_2325_u64;
    for b in s.bytes() {
        acc ^= u64::from(b);
        acc = acc.wrapping_mul(0x0100_0000_01b3);
    }
    mix(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_in_range_and_deterministic() {
        for i in 0..1000 {
            let u = unit(h(&[7, i]));
            assert!((0.0..1.0).contains(&u));
            assert_eq!(u, unit(h(&[7, i])));
        }
        assert_ne!(h(&[1, 2]), h(&[2, 1]));
        assert_ne!(str_hash("a"), str_hash("b"));
    }
}
