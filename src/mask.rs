//! Masking secret values in a stream of output (`vault exec --mask`). Pure logic over
//! bytes: no processes, no I/O.
//!
//! [`Patterns`] turns values into what to look for: each value of at least
//! [`MIN_CHARS`] characters, each line of a multi-line value, their base64 (standard and
//! URL-safe, padded and not, and the part of the encoding that does not depend on the
//! value's alignment inside a larger base64 blob) and their URL encodings. [`Masker`]
//! replaces every occurrence with [`MASK`] in a stream that arrives in pieces: the result
//! is the same however the stream is cut, and bytes are held back only while they could
//! still be the start of a match, so interactive output is not delayed.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use base64::Engine as _;
use zeroize::Zeroizing;

/// What replaces a secret.
pub const MASK: &[u8] = "•••".as_bytes();

/// Values shorter than this (in characters) are not masked: they would hide ordinary words
/// and numbers all over the output, and masking them would tell a reader the value.
pub const MIN_CHARS: usize = 6;

/// The byte sequences to mask, ready for searching.
pub struct Patterns {
    searcher: Option<AhoCorasick>,
    /// Sorted and deduplicated, for the prefix test of held-back bytes.
    sorted: Vec<Zeroizing<Vec<u8>>>,
    max_len: usize,
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Patterns({} patterns)", self.sorted.len())
    }
}

impl Patterns {
    /// The patterns for `values` (see the module documentation for which forms).
    #[must_use]
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut sorted: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        for value in values {
            forms(value, &mut sorted);
        }
        sorted.retain(|p| p.len() >= MIN_CHARS);
        sorted.sort_unstable_by(|a, b| a.as_slice().cmp(b.as_slice()));
        sorted.dedup_by(|a, b| a.as_slice() == b.as_slice());
        Self::from_sorted(sorted)
    }

    /// Exactly these byte strings, with no derived forms and no minimum length (tests).
    #[must_use]
    pub fn exact<'a>(patterns: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut sorted: Vec<Zeroizing<Vec<u8>>> = patterns
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(|p| Zeroizing::new(p.to_vec()))
            .collect();
        sorted.sort_unstable_by(|a, b| a.as_slice().cmp(b.as_slice()));
        sorted.dedup_by(|a, b| a.as_slice() == b.as_slice());
        Self::from_sorted(sorted)
    }

    fn from_sorted(sorted: Vec<Zeroizing<Vec<u8>>>) -> Self {
        let searcher = (!sorted.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(sorted.iter().map(|p| p.as_slice()))
                .expect("a few thousand short literal patterns always build")
        });
        let max_len = sorted.iter().map(|p| p.len()).max().unwrap_or(0);
        Self {
            searcher,
            sorted,
            max_len,
        }
    }

    /// How many byte sequences are searched for.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// The longest pattern's length in bytes.
    #[must_use]
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether there is nothing to mask.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// `input` with every match masked, all at once: the reference [`Masker`] must agree
    /// with however the input is cut.
    #[must_use]
    pub fn mask_all(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        let mut cursor = 0;
        if let Some(searcher) = &self.searcher {
            for m in searcher.find_iter(input) {
                out.extend_from_slice(&input[cursor..m.start()]);
                out.extend_from_slice(MASK);
                cursor = m.end();
            }
        }
        out.extend_from_slice(&input[cursor..]);
        out
    }

    /// Whether `tail` is a proper prefix of a pattern: more input could complete a match.
    fn could_grow(&self, tail: &[u8]) -> bool {
        // Patterns starting with `tail` sort right after it, so the first one at or after
        // `tail` is one if any is; if that one is `tail` itself, a longer one comes next.
        let at = self.sorted.partition_point(|p| p.as_slice() < tail);
        self.sorted[at..]
            .iter()
            .take(2)
            .any(|p| p.len() > tail.len() && p.starts_with(tail))
    }

    /// The first position at or after `from` where a match could still start once more
    /// input arrives, or `buf.len()` if there is none.
    fn first_open(&self, buf: &[u8], from: usize) -> usize {
        let start = from.max(buf.len().saturating_sub(self.max_len.saturating_sub(1)));
        (start..buf.len())
            .find(|&p| self.could_grow(&buf[p..]))
            .unwrap_or(buf.len())
    }
}

/// Adds the forms of `value` to mask.
fn forms(value: &str, out: &mut Vec<Zeroizing<Vec<u8>>>) {
    if value.chars().count() < MIN_CHARS {
        return;
    }
    let mut texts: Vec<&str> = vec![value];
    if value.contains('\n') {
        // A multi-line value (a PEM key) is often printed, or logged, a line at a time.
        texts.extend(
            value
                .lines()
                .map(str::trim)
                .filter(|l| l.chars().count() >= MIN_CHARS),
        );
    }
    for text in texts {
        let bytes = text.as_bytes();
        out.push(Zeroizing::new(bytes.to_vec()));
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::URL_SAFE,
        ] {
            out.push(Zeroizing::new(engine.encode(bytes).into_bytes()));
        }
        for engine in [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            out.push(Zeroizing::new(engine.encode(bytes).into_bytes()));
            for offset in 0..3 {
                out.push(aligned_core(engine, bytes, offset));
            }
        }
        // `base64` (coreutils) and MIME wrap at 76 columns, PEM and `openssl base64` at 64:
        // a long value's encoding then spans lines, and each full line is a fixed piece of
        // it (when the value starts the encoded data).
        let standard = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into_bytes(),
        );
        for width in [76, 64] {
            if standard.len() > width {
                out.extend(
                    standard
                        .chunks(width)
                        .filter(|line| line.len() >= MIN_CHARS)
                        .map(|line| Zeroizing::new(line.to_vec())),
                );
            }
        }
        const UPPER: &[u8; 16] = b"0123456789ABCDEF";
        for encoded in [
            // RFC 3986 strictly (encodeURIComponent-like, Go's url.QueryEscape with `+`).
            percent_encode(bytes, UPPER, b"", false),
            percent_encode(bytes, b"0123456789abcdef", b"", false),
            percent_encode(bytes, UPPER, b"", true),
            // Python's `urllib.parse.quote` keeps `/`.
            percent_encode(bytes, UPPER, b"/", false),
            // JavaScript's `encodeURIComponent` keeps `!'()*`, `encodeURI` the reserved set too.
            percent_encode(bytes, UPPER, b"!'()*", false),
            percent_encode(bytes, UPPER, b"!'()*;,/?:@&=+$#", false),
        ] {
            if encoded.as_slice() != bytes && !out.contains(&encoded) {
                out.push(encoded);
            }
        }
    }
}

/// The characters of `value`'s base64 that are the same wherever it sits in a larger
/// encoded blob starting `offset` bytes into a 3-byte group: the characters whose six bits
/// all come from the value.
fn aligned_core(
    engine: &base64::engine::GeneralPurpose,
    value: &[u8],
    offset: usize,
) -> Zeroizing<Vec<u8>> {
    let mut shifted = Zeroizing::new(vec![0u8; offset]);
    shifted.extend_from_slice(value);
    let encoded = Zeroizing::new(engine.encode(shifted.as_slice()).into_bytes());
    let skip = (offset * 8).div_ceil(6);
    let full = (shifted.len() * 8) / 6;
    Zeroizing::new(encoded.get(skip..full).unwrap_or_default().to_vec())
}

/// Percent-encoding of everything but RFC 3986's unreserved characters and `keep` (URL
/// builders differ in what they leave alone: `urllib.parse.quote` keeps `/`, `encodeURI`
/// the reserved characters), with `digits` for the hex and, for `form`, `+` for spaces
/// (HTML forms, query strings).
fn percent_encode(value: &[u8], digits: &[u8; 16], keep: &[u8], form: bool) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 3));
    for &b in value {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(b);
        } else if form && b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[
                b'%',
                digits[usize::from(b >> 4)],
                digits[usize::from(b & 15)],
            ]);
        }
    }
    out
}

/// Masks one stream (the child's stdout, or its stderr) as it arrives.
pub struct Masker<'p> {
    patterns: &'p Patterns,
    /// Bytes that could still begin a match; fewer than the longest pattern.
    pending: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Masker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Masker({} bytes held)", self.pending.len())
    }
}

impl<'p> Masker<'p> {
    /// A masker for one stream.
    #[must_use]
    pub fn new(patterns: &'p Patterns) -> Self {
        Self {
            patterns,
            pending: Zeroizing::new(Vec::new()),
        }
    }

    /// Takes the next piece of the stream and appends to `out` everything that can be
    /// decided now: all of it, masked, except a tail that could still be the start of a
    /// match.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let needed = self.pending.len() + chunk.len();
        if needed > self.pending.capacity() {
            // Grown by hand so the old buffer is zeroized, not freed with output in it.
            let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(8192)));
            grown.extend_from_slice(&self.pending);
            self.pending = grown;
        }
        self.pending.extend_from_slice(chunk);
        self.drain(false, out);
    }

    /// The end of the stream: appends what was held back, masked.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.drain(true, out);
    }

    /// Bytes held back, waiting for more input.
    #[must_use]
    pub fn held(&self) -> usize {
        self.pending.len()
    }

    fn drain(&mut self, at_end: bool, out: &mut Vec<u8>) {
        let buf = self.pending.as_slice();
        let Some(searcher) = &self.patterns.searcher else {
            out.extend_from_slice(buf);
            self.pending.clear();
            return;
        };
        let mut cursor = 0;
        // Whether a position is open depends only on the bytes from there to the end, so
        // the first open one is found again only once a match has run past it.
        let mut hold = if at_end {
            buf.len()
        } else {
            self.patterns.first_open(buf, 0)
        };
        loop {
            if cursor > hold {
                hold = self.patterns.first_open(buf, cursor);
            }
            // Before `hold`, every match that will ever start there is already complete in
            // `buf`, so leftmost-longest decides the same as on the whole stream.
            match searcher.find(Input::new(buf).span(cursor..buf.len())) {
                Some(m) if m.start() < hold => {
                    out.extend_from_slice(&buf[cursor..m.start()]);
                    out.extend_from_slice(MASK);
                    cursor = m.end();
                }
                _ => {
                    out.extend_from_slice(&buf[cursor..hold]);
                    cursor = hold;
                    break;
                }
            }
        }
        let len = self.pending.len();
        self.pending.copy_within(cursor.., 0);
        // What moved down is zeroized where it was before the length shrinks.
        zeroize::Zeroize::zeroize(&mut self.pending[len - cursor..]);
        self.pending.truncate(len - cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stream(patterns: &Patterns, chunks: &[&[u8]]) -> Vec<u8> {
        let mut masker = Masker::new(patterns);
        let mut out = Vec::new();
        for chunk in chunks {
            masker.feed(chunk, &mut out);
        }
        masker.finish(&mut out);
        out
    }

    #[test]
    fn values_and_their_encodings_are_masked() {
        let value = "s3cr3t/value+?&=";
        let patterns = Patterns::new([value, "short"]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(value);
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value);
        let input = format!(
            "a {value} b {b64} c {b64url} d s3cr3t%2Fvalue%2B%3F%26%3D e s3cr3t%2fvalue%2b%3f%26%3d short"
        );
        let out = String::from_utf8(patterns.mask_all(input.as_bytes())).unwrap();
        assert_eq!(out, "a ••• b ••• c ••• d ••• e ••• short");
    }

    #[test]
    fn base64_inside_a_larger_blob_is_masked_at_every_alignment() {
        let value = b"hunter2-hunter2";
        let patterns = Patterns::new([std::str::from_utf8(value).unwrap()]);
        for prefix in 0..6 {
            let mut blob = b"{\"user\":\"x".to_vec();
            blob.truncate(blob.len() - prefix % 3);
            blob.extend_from_slice(value);
            blob.extend_from_slice(b"\",\"n\":1}");
            for engine in [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ] {
                let encoded = engine.encode(&blob);
                let out = patterns.mask_all(encoded.as_bytes());
                assert!(
                    out.windows(MASK.len()).any(|w| w == MASK),
                    "{prefix}: {encoded}"
                );
            }
        }
    }

    #[test]
    fn multi_line_values_are_masked_line_by_line() {
        let patterns = Patterns::new(["-----BEGIN KEY-----\nMIIEabcdefgh\n-----END KEY-----"]);
        let out = patterns.mask_all(b"line: MIIEabcdefgh\n");
        assert_eq!(out, "line: •••\n".as_bytes());
    }

    #[test]
    fn short_values_are_not_masked() {
        let patterns = Patterns::new(["12345", "abc"]);
        assert!(patterns.is_empty());
        assert_eq!(patterns.mask_all(b"12345 abc"), b"12345 abc");
    }

    #[test]
    fn output_that_cannot_start_a_match_is_not_held() {
        let patterns = Patterns::exact([b"secret-value".as_slice()]);
        let mut masker = Masker::new(&patterns);
        let mut out = Vec::new();
        masker.feed(b"prompt> ", &mut out);
        assert_eq!(out, b"prompt> ");
        assert_eq!(masker.held(), 0);
        masker.feed(b"the sec", &mut out);
        assert_eq!(out, b"prompt> the ");
        assert_eq!(masker.held(), 3);
        masker.feed(b"ond", &mut out);
        assert_eq!(out, b"prompt> the second");
        assert_eq!(masker.held(), 0);
        masker.feed(b" secret-val", &mut out);
        masker.feed(b"ue!", &mut out);
        assert_eq!(out, "prompt> the second •••!".as_bytes());
    }

    #[test]
    fn the_longest_match_wins_even_when_it_completes_later() {
        let patterns = Patterns::exact([b"abcdef".as_slice(), b"abcdefghij".as_slice()]);
        assert_eq!(stream(&patterns, &[b"xabcdef", b"ghij"]), "x•••".as_bytes());
        assert_eq!(
            stream(&patterns, &[b"xabcdef", b"ghiX"]),
            "x•••ghiX".as_bytes()
        );
        assert_eq!(stream(&patterns, &[b"xabcdef"]), "x•••".as_bytes());
    }

    /// Splits `input` at the given cut points (taken modulo its length).
    fn chunks(input: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
        if input.is_empty() {
            return vec![input];
        }
        for cut in &mut cuts {
            *cut %= input.len() + 1;
        }
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts {
            pieces.push(&input[start..cut]);
            start = cut;
        }
        pieces.push(&input[start..]);
        pieces
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// However the stream is cut, the output is the masking of the whole input. A
        /// small alphabet makes overlapping and nested patterns common.
        #[test]
        fn chunking_never_changes_the_output(
            patterns in proptest::collection::vec("[ab]{1,6}", 1..5),
            input in "[abc]{0,64}",
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let patterns = Patterns::exact(patterns.iter().map(|p| p.as_bytes()));
            let whole = patterns.mask_all(input.as_bytes());
            let pieces = chunks(input.as_bytes(), cuts);
            prop_assert_eq!(stream(&patterns, &pieces), whole);
        }

        /// The same with real values and their derived forms, in arbitrary text.
        #[test]
        fn chunking_never_changes_the_output_of_real_values(
            values in proptest::collection::vec("[ -~]{6,20}", 1..4),
            filler in proptest::collection::vec("[ -~\n]{0,10}", 1..6),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let patterns = Patterns::new(values.iter().map(String::as_str));
            let mut input = String::new();
            for (i, text) in filler.iter().enumerate() {
                input.push_str(text);
                let value = &values[i % values.len()];
                if i % 2 == 0 {
                    input.push_str(value);
                } else {
                    input.push_str(&base64::engine::general_purpose::STANDARD.encode(value));
                }
            }
            let whole = patterns.mask_all(input.as_bytes());
            // Every value that was inserted is gone from the output.
            for value in &values {
                prop_assert!(!whole.windows(value.len()).any(|w| w == value.as_bytes()));
            }
            let pieces = chunks(input.as_bytes(), cuts);
            prop_assert_eq!(stream(&patterns, &pieces), whole);
        }
    }
}
