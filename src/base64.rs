//! The base64 alphabet (RFC 4648 §4), scanned fast: attachments make base64 the longest value
//! of most messages (a 38 kB PDF is 50 kB of it; one published message has 2.6 MB), and both the
//! structural pass and the pack checks read it.

/// Whether `b` is padded standard base64 from end to end (symbols, then at most two `=`, a
/// multiple of four in all), by base64-simd's check, which picks the processor's widest vector
/// unit at run time and reads the 50 kB of a typical attachment in a quarter of the time of
/// [`first_non_symbol`]. It may also refuse some valid text (bits left over in the last
/// symbol), so it only ever says yes quickly: a caller falls back to its own scan, which says
/// what is wrong and where.
pub fn is_padded_quickly(b: &[u8]) -> bool {
    base64_simd::STANDARD.check(b).is_ok()
}

/// Whether a byte is an alphabet symbol (`=` padding excluded).
pub fn is_symbol(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// [`is_symbol`] as arithmetic the compiler turns into a few vector instructions per 16 bytes:
/// the letters (folded to lower case by setting bit 5) and the digits are each one range, moved
/// to the bottom of the signed byte range so that one signed comparison tests it, and `+` and
/// `/` differ only in bit 2. A 256-entry lookup table measured four times slower: it is read one
/// byte at a time.
fn is_symbol_vector(c: u8) -> bool {
    let letter = (c | 0x20).wrapping_add(0x80 - b'a') as i8;
    let digit = c.wrapping_add(0x80 - b'0') as i8;
    (letter < i8::MIN + 26) | (digit < i8::MIN + 10) | ((c | 4) == b'/')
}

/// Where the first byte of `b` that is not an alphabet symbol is. Fixed 64-byte blocks are
/// checked without branching inside a block; only a block that holds a culprit is searched.
pub fn first_non_symbol(b: &[u8]) -> Option<usize> {
    let mut blocks = b.chunks_exact(64);
    let mut base = 0;
    for block in &mut blocks {
        let mut all = true;
        for &c in block {
            all &= is_symbol_vector(c);
        }
        if !all {
            return block.iter().position(|&c| !is_symbol(c)).map(|i| base + i);
        }
        base += 64;
    }
    let rest = blocks.remainder();
    rest.iter().position(|&c| !is_symbol(c)).map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_test_matches_the_alphabet() {
        for c in 0..=255u8 {
            assert_eq!(is_symbol_vector(c), is_symbol(c), "{c}");
        }
    }

    /// The scalar rule that [`is_padded_quickly`] short-cuts: alphabet symbols, at most two `=`
    /// at the end, a multiple of four.
    fn padded(b: &[u8]) -> bool {
        let body = b
            .strip_suffix(b"==")
            .or_else(|| b.strip_suffix(b"="))
            .unwrap_or(b);
        b.len() % 4 == 0 && first_non_symbol(body).is_none()
    }

    #[test]
    fn quick_check_never_accepts_what_the_scan_refuses() {
        // Every text of up to 3 characters from a small alphabet, and longer ones broken at
        // each position: past the vector blocks and in their remainder.
        let chars = b"AZaz09+/=\n -\xC3";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=3 {
            let mut grown = Vec::new();
            for t in texts.iter().filter(|t| t.len() == len - 1) {
                for &c in chars {
                    let mut t = t.clone();
                    t.push(c);
                    grown.push(t);
                }
            }
            texts.extend(grown);
        }
        let long = b"QUJD".repeat(50);
        for at in 0..long.len() {
            for &c in chars {
                let mut t = long.clone();
                t[at] = c;
                texts.push(t);
            }
        }
        let mut accepted = 0;
        for t in &texts {
            if is_padded_quickly(t) {
                accepted += 1;
                assert!(padded(t), "{:?}", String::from_utf8_lossy(t));
            }
        }
        assert!(
            is_padded_quickly(&long) && is_padded_quickly(b"QUI=") && is_padded_quickly(b"QQ==")
        );
        assert!(
            accepted > 1000,
            "the quick check accepted only {accepted} texts"
        );
    }

    #[test]
    fn first_non_symbol_in_blocks_and_remainder() {
        let long = b"QUJD".repeat(40);
        assert_eq!(first_non_symbol(&long), None);
        for at in [0, 63, 64, 130, 159] {
            let mut bad = long.clone();
            bad[at] = b'=';
            assert_eq!(first_non_symbol(&bad), Some(at), "at {at}");
        }
        assert_eq!(first_non_symbol(b""), None);
        assert_eq!(first_non_symbol(b"ab\ncd"), Some(2));
    }
}
