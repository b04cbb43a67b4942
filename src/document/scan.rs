//! Byte scans the JSON and XML readers share, eight bytes at a time where input runs long.

/// The first eight bytes of `b` as one integer (`b` must hold eight). The tests made on it look
/// at every byte alike, so byte order does not matter.
pub(super) fn word_at(b: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&b[..8]);
    u64::from_le_bytes(word)
}

/// Length of the white space (space, tab, CR, LF: the same four in JSON and XML) at the start
/// of `b`. Pretty-printed messages indent deeply, so runs of spaces are passed over eight at a
/// time.
pub(super) fn blank_len(b: &[u8]) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    let mut i = 0;
    loop {
        while let Some(word) = b.get(i..i + 8) {
            if word_at(word) != SPACES {
                break;
            }
            i += 8;
        }
        match b.get(i) {
            Some(b' ' | b'\t' | b'\n' | b'\r') => i += 1,
            _ => return i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::blank_len;

    #[test]
    fn blank_runs_of_every_length() {
        for n in 0..20 {
            let text = format!("{}\t\r\n x", " ".repeat(n));
            assert_eq!(blank_len(text.as_bytes()), n + 4, "{n}");
        }
        assert_eq!(blank_len(b""), 0);
        assert_eq!(blank_len(b"x "), 0);
    }
}
