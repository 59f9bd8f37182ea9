//! A property of the service, the one piece every model shares: the stream transform has no
//! seams. Any byte string, cut into any chunks (as `recv()` may cut it, and `--max-io` does),
//! gives exactly the output of the whole: the Unicode upper case for valid UTF-8, the bytes
//! themselves for invalid sequences; and echo gives the bytes back.
//!
//! `proptest` makes the cases, 2,000 per service in `cargo test` (each checked whole, cut at
//! random places, and byte by byte), and shrinks a failure to a smallest example.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use sockstep::service::{Service, Session};

/// Pieces a string is made of: ASCII, 2-, 3- and 4-byte characters (some that grow when
/// upper-cased: `ß`, `ŉ`, `ΐ`), and bytes that are not UTF-8 (a lone continuation byte, a cut
/// character, an invalid lead byte).
const PIECES: &[&[u8]] = &[
    b"a",
    b"Z",
    b"\n",
    b" ",
    "é".as_bytes(),
    "ß".as_bytes(),
    "ŉ".as_bytes(),
    "ΐ".as_bytes(),
    "€".as_bytes(),
    "ﬃ".as_bytes(),
    "𝄞".as_bytes(),
    "🙂".as_bytes(),
    b"\x80",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x99",
    b"\xff",
    b"\xc0\xaf",
];

/// A byte string of pieces: mostly [`PIECES`], sometimes any byte.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        7 => proptest::sample::select(PIECES).prop_map(<[u8]>::to_vec),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// A byte string and where to cut it (sorted positions, repeats allowed: an empty read).
fn cut_bytes() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    bytes().prop_flat_map(|bytes| {
        let len = bytes.len();
        let cuts = proptest::collection::vec(0..=len, 0..12).prop_map(|mut cuts| {
            cuts.sort_unstable();
            cuts
        });
        (Just(bytes), cuts)
    })
}

/// What the parrot must answer to the whole: valid UTF-8 upper-cased, invalid bytes as they are.
fn expected_upper(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in bytes.utf8_chunks() {
        out.extend_from_slice(chunk.valid().to_uppercase().as_bytes());
        out.extend_from_slice(chunk.invalid());
    }
    out
}

/// The service's output for `bytes` cut at `cuts` (sorted positions), through one session.
fn through(service: Service, bytes: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut session = Session::new(service);
    let mut out = Vec::new();
    let mut from = 0;
    for &at in cuts.iter().chain(std::iter::once(&bytes.len())) {
        session.respond(&bytes[from..at], &mut out);
        from = at;
    }
    session.finish(&mut out);
    out
}

/// How many cases each property runs in `cargo test`.
const CASES: u32 = 2000;

/// The whole, cut at `cuts`, and byte by byte (as under `--max-io 1`) give the same output,
/// which is `expected`.
fn no_seams(
    service: Service,
    bytes: &[u8],
    cuts: &[usize],
    expected: Vec<u8>,
) -> Result<(), TestCaseError> {
    let whole = through(service, bytes, &[]);
    prop_assert_eq!(&whole, &expected);
    prop_assert_eq!(&through(service, bytes, cuts), &whole);
    let every: Vec<usize> = (1..bytes.len()).collect();
    prop_assert_eq!(&through(service, bytes, &every), &whole);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The parrot has no seams.
    #[test]
    fn upper_has_no_seams((bytes, cuts) in cut_bytes()) {
        no_seams(Service::Upper, &bytes, &cuts, expected_upper(&bytes))?;
    }

    /// Echo gives every byte back, however it is cut.
    #[test]
    fn echo_has_no_seams((bytes, cuts) in cut_bytes()) {
        no_seams(Service::Echo, &bytes, &cuts, bytes.clone())?;
    }
}
