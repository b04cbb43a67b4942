//! The bytes and text of one input: on the heap, or, for a large file, in an anonymous mapping
//! the kernel fills in one call, so that reading it does not fault once per 4 KiB page.
//!
//! Reading a 2.6 MB message with `std::fs::read` took 5.3 ms of a cold run here, nearly all of
//! it in the kernel faulting in the new buffer page by page; into a pre-populated mapping, the
//! same read took 3.1 ms (see `BENCHMARKS.md`). The mapping is anonymous memory, not the file,
//! so a file changed or truncated while it is validated cannot fault the run.

use memmap2::{MmapMut, MmapOptions};
use std::fmt;
use std::io::{self, Read};
use std::ops::Deref;
use std::path::Path;
use yoke::Yoke;

/// Files at least this large are read into a populated mapping; below it a heap buffer costs
/// less than setting up and tearing down a mapping.
const MAPPED_FROM: u64 = 1 << 20;

/// An input's bytes as read.
pub enum InputBytes {
    Heap(Vec<u8>),
    Mapped(MmapMut),
}

impl InputBytes {
    /// Reads a whole file.
    pub fn read_file(path: &Path) -> io::Result<InputBytes> {
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        if len < MAPPED_FROM || len > crate::input::MAX_INPUT as u64 {
            // As `std::fs::read` does: a length the allocator refuses is an error, not an abort.
            let mut bytes = Vec::new();
            bytes.try_reserve_exact(len as usize)?;
            file.read_to_end(&mut bytes)?;
            return Ok(InputBytes::Heap(bytes));
        }
        let mut map = MmapOptions::new().len(len as usize).populate().map_anon()?;
        let whole = match file.read_exact(&mut map) {
            Ok(()) => file.read(&mut [0])? == 0,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => false,
            Err(e) => return Err(e),
        };
        if !whole {
            // The file changed length while it was read: read it again, whole, from the start.
            return std::fs::read(path).map(InputBytes::Heap);
        }
        Ok(InputBytes::Mapped(map))
    }
}

impl From<Vec<u8>> for InputBytes {
    fn from(bytes: Vec<u8>) -> Self {
        InputBytes::Heap(bytes)
    }
}

impl Deref for InputBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Heap(bytes) => bytes,
            InputBytes::Mapped(map) => map,
        }
    }
}

/// An input's text, known to be UTF-8; dereferences to `str`.
///
/// The checked `str` is borrowed from the buffer it was read into rather than made a `String`
/// of it, which is what lets the check be simdutf8's: `String::from_utf8` would check every
/// byte again with the standard library's slower scan. One `Yoke` for every kind of backing
/// keeps dereferencing a field load: nodes read names and values from the text all through a
/// run, and a `match` on the backing there cost more than the faster check saved.
pub struct SourceText(Yoke<&'static str, Box<Backing>>);

/// What a [`SourceText`] borrows from.
enum Backing {
    Bytes(InputBytes),
    Text(String),
}

/// UTF-8 validation with the widest vector unit the processor has (chosen at run time): on a
/// message that is mostly base64 it costs a fraction of `std::str::from_utf8`'s
/// word-at-a-time scan, which was 4 % of validating one.
fn checked(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

impl SourceText {
    pub fn as_str(&self) -> &str {
        self
    }

    /// The text of `bytes`, or the bytes back when they are not UTF-8.
    pub fn from_bytes(bytes: InputBytes) -> Result<SourceText, InputBytes> {
        let text: Yoke<&'static str, Box<Backing>> =
            Yoke::attach_to_cart(Box::new(Backing::Bytes(bytes)), |backing| match backing {
                Backing::Bytes(bytes) => checked(bytes).unwrap_or_default(),
                Backing::Text(text) => text,
            });
        // Only the empty text of a non-empty buffer stands for invalid UTF-8: the closure that
        // borrows the text cannot also say that it failed.
        if !text.get().is_empty() {
            return Ok(SourceText(text));
        }
        match *text.into_backing_cart() {
            Backing::Bytes(bytes) if !bytes.is_empty() => Err(bytes),
            Backing::Bytes(_) => Ok(SourceText::from(String::new())),
            Backing::Text(text) => Ok(SourceText::from(text)),
        }
    }
}

impl From<String> for SourceText {
    fn from(text: String) -> Self {
        SourceText(Yoke::attach_to_cart(
            Box::new(Backing::Text(text)),
            |backing| match backing {
                Backing::Text(text) => text,
                Backing::Bytes(bytes) => checked(bytes).unwrap_or_default(),
            },
        ))
    }
}

impl Deref for SourceText {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.get()
    }
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn large_files_are_mapped_and_read_whole() {
        let mut bytes = b"<Bundle>".repeat(MAPPED_FROM as usize / 8 + 1);
        bytes.extend_from_slice("é</Bundle>".as_bytes());
        let read = InputBytes::read_file(file_of(&bytes).path()).unwrap();
        assert!(matches!(read, InputBytes::Mapped(_)));
        assert_eq!(&*read, &bytes[..]);
        let text = SourceText::from_bytes(read).ok().unwrap();
        assert_eq!(text.as_bytes(), &bytes[..]);
        assert!(text.ends_with("é</Bundle>"));
    }

    #[test]
    fn small_files_stay_on_the_heap() {
        let read = InputBytes::read_file(file_of(b"{}").path()).unwrap();
        assert!(matches!(read, InputBytes::Heap(_)));
        assert_eq!(&*SourceText::from_bytes(read).ok().unwrap(), "{}");
    }

    #[test]
    fn invalid_utf8_gives_the_bytes_back_either_way() {
        let mut bytes = vec![b'a'; MAPPED_FROM as usize + 10];
        bytes[MAPPED_FROM as usize] = 0xFF;
        let mapped = InputBytes::read_file(file_of(&bytes).path()).unwrap();
        assert!(matches!(mapped, InputBytes::Mapped(_)));
        let back = SourceText::from_bytes(mapped).err().unwrap();
        assert_eq!(&*back, &bytes[..]);
        let back = SourceText::from_bytes(InputBytes::from(vec![b'a', 0xC3]))
            .err()
            .unwrap();
        assert_eq!(&*back, &[b'a', 0xC3]);
    }

    #[test]
    fn vector_check_agrees_with_the_standard_library() {
        // Characters of every width, straddling 16-, 32- and 64-byte block edges, then the
        // same text with each byte in turn replaced by one that may or may not fit there.
        let text = "a\u{e9}\u{20ac}\u{1f600}".repeat(40);
        for cut in 0..text.len() {
            for byte in [0xFF, 0x80, 0xC3, 0xF0, b'a'] {
                let mut bytes = text.as_bytes().to_vec();
                bytes[cut] = byte;
                let ours = SourceText::from_bytes(InputBytes::from(bytes.clone())).is_ok();
                assert_eq!(
                    ours,
                    std::str::from_utf8(&bytes).is_ok(),
                    "{byte:#x} at {cut}"
                );
            }
        }
        let whole = SourceText::from_bytes(InputBytes::from(text.clone().into_bytes()));
        assert_eq!(&*whole.ok().unwrap(), text);
        assert_eq!(
            &*SourceText::from_bytes(InputBytes::from(Vec::new()))
                .ok()
                .unwrap(),
            ""
        );
        assert_eq!(&*SourceText::from(String::from("x\u{e9}")), "x\u{e9}");
    }
}
