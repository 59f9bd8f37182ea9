//! A property of the service, the one piece every model shares: the stream transform has no
//! seams. Any byte string, cut into any chunks (as `recv()` may cut it, and `--max-io` does),
//! gives exactly the output of the whole: the Unicode upper case for valid UTF-8, the bytes
//! themselves for invalid sequences; and echo gives the bytes back.
//!
//! The cases come from a seeded generator (xorshift64*), so a failure names its seed and is
//! replayed exactly: 3,000 byte strings, each cut at random places, for each service.

use sockstep::service::{Service, Session};

/// xorshift64*: small, deterministic, good enough to pick bytes and cut points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

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

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let pieces = rng.below(40);
    let mut bytes = Vec::new();
    for _ in 0..pieces {
        if rng.below(8) == 0 {
            bytes.push(rng.next() as u8);
        } else {
            bytes.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
    }
    bytes
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

const CASES: u64 = 3000;

fn check(service: Service, expected: impl Fn(&[u8]) -> Vec<u8>) {
    for seed in 1..=CASES {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let bytes = random_bytes(&mut rng);
        let mut cuts: Vec<usize> = (0..rng.below(12))
            .map(|_| rng.below(bytes.len() + 1))
            .collect();
        cuts.sort_unstable();
        let whole = through(service, &bytes, &[]);
        assert_eq!(whole, expected(&bytes), "seed {seed}: the whole, {bytes:?}");
        let cut = through(service, &bytes, &cuts);
        assert_eq!(cut, whole, "seed {seed}: {bytes:?} cut at {cuts:?}");
        // Byte by byte, as under --max-io 1.
        let every: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(
            through(service, &bytes, &every),
            whole,
            "seed {seed}: byte by byte"
        );
    }
}

/// The parrot has no seams: 3,000 strings, each whole, cut at random, and byte by byte.
#[test]
fn upper_has_no_seams() {
    check(Service::Upper, expected_upper);
}

/// Echo gives every byte back, however it is cut.
#[test]
fn echo_has_no_seams() {
    check(Service::Echo, <[u8]>::to_vec);
}
