//! HMAC-SHA256 (RFC 2104 over FIPS 180-4's SHA-256) and the hex the
//! signatures travel in, for the tokens and webhook signatures of this
//! module.
//!
//! Not taken from `hmac`/`sha2`/`hex`: those crates and the RustCrypto
//! traits under them (digest, crypto-common, hybrid-array, typenum,
//! block-buffer, ...) were about 6 s of every dependent's clean build
//! (benches/build_weight.sh, BENCHMARKS.md), for one hash that signs a few
//! hundred bytes per call. With the `rustls-ring` feature (the default),
//! ring is built anyway and its HMAC is used: its SHA-256 runs on the CPU's
//! SHA instructions where there are some. Otherwise (`native-tls` has no
//! hash that Rust code can call; `rustls-aws-lc-rs` would need aws-lc-rs's
//! features matched by hand) the portable one written out below is. The
//! tests check the FIPS 180-4 and RFC 4231 vectors and compare both with
//! the `hmac`/`sha2` crates (dev-dependencies) over many lengths.

// With ring, the portable HMAC (and the SHA-256 under it) serves only the
// tests.
#![cfg_attr(all(feature = "rustls-ring", not(test)), allow(dead_code))]

#[cfg(not(feature = "rustls-ring"))]
pub(crate) use portable::{Hmac, HmacKey};
#[cfg(feature = "rustls-ring")]
pub(crate) use with_ring::{Hmac, HmacKey};

/// SHA-256's round constants (FIPS 180-4 §4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const BLOCK: usize = 64;

/// A running SHA-256 hash.
struct Sha256 {
    state: [u32; 8],
    /// Bytes of the current block not yet compressed (`filled` of them).
    block: [u8; BLOCK],
    filled: usize,
    /// Message length so far, in bytes.
    len: u64,
}

impl Sha256 {
    fn new() -> Self {
        Sha256 {
            state: H0,
            block: [0; BLOCK],
            filled: 0,
            len: 0,
        }
    }

    /// A hash whose first block (the padded HMAC key) left `state`.
    fn after_one_block(state: [u32; 8]) -> Self {
        Sha256 {
            state,
            block: [0; BLOCK],
            filled: 0,
            len: BLOCK as u64,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.filled > 0 {
            let take = data.len().min(BLOCK - self.filled);
            self.block[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled < BLOCK {
                return;
            }
            compress(&mut self.state, &self.block);
            self.filled = 0;
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            compress(&mut self.state, block.try_into().expect("64-byte chunk"));
        }
        let rest = blocks.remainder();
        self.block[..rest.len()].copy_from_slice(rest);
        self.filled = rest.len();
    }

    /// Padding (FIPS 180-4 §5.1.1) and the big-endian digest.
    fn finalize(mut self) -> [u8; 32] {
        let bit_len = self.len.wrapping_mul(8);
        self.block[self.filled] = 0x80;
        self.block[self.filled + 1..].fill(0);
        if self.filled + 1 > BLOCK - 8 {
            compress(&mut self.state, &self.block);
            self.block = [0; BLOCK];
        }
        self.block[BLOCK - 8..].copy_from_slice(&bit_len.to_be_bytes());
        compress(&mut self.state, &self.block);
        let mut out = [0u8; 32];
        for (bytes, word) in out.chunks_exact_mut(4).zip(self.state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// One block of SHA-256's compression function (FIPS 180-4 §6.2.2).
fn compress(state: &mut [u32; 8], block: &[u8; BLOCK]) {
    let mut w = [0u32; 64];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes(bytes.try_into().expect("4-byte chunk"));
    }
    for t in 16..64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16]
            .wrapping_add(s0)
            .wrapping_add(w[t - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for t in 0..64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(K[t])
            .wrapping_add(w[t]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (word, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *word = word.wrapping_add(v);
    }
}

/// The HMAC written out here (also what the tests compare ring's with).
mod portable {
    use super::{BLOCK, H0, Sha256, compress, same_tag};

    /// An HMAC-SHA256 key, prepared once: the hash states after the inner and
    /// the outer padded key (64 bytes in all), so that each message costs its
    /// own blocks plus one more compression for the outer hash.
    #[derive(Clone)]
    pub(crate) struct HmacKey {
        inner: [u32; 8],
        outer: [u32; 8],
    }

    impl HmacKey {
        /// A key of any length (longer than a block: its hash is the key,
        /// RFC 2104 §2).
        pub(crate) fn new(key: &[u8]) -> Self {
            let mut padded = [0u8; BLOCK];
            if key.len() > BLOCK {
                let mut hash = Sha256::new();
                hash.update(key);
                padded[..32].copy_from_slice(&hash.finalize());
            } else {
                padded[..key.len()].copy_from_slice(key);
            }
            let (mut inner, mut outer) = (H0, H0);
            compress(&mut inner, &padded.map(|b| b ^ 0x36));
            compress(&mut outer, &padded.map(|b| b ^ 0x5c));
            HmacKey { inner, outer }
        }

        /// The HMAC of a message still to be fed with [`Hmac::update`].
        pub(crate) fn start(&self) -> Hmac {
            Hmac {
                inner: Sha256::after_one_block(self.inner),
                outer: self.outer,
            }
        }
    }

    /// A running HMAC-SHA256 (from [`HmacKey::start`]).
    pub(crate) struct Hmac {
        inner: Sha256,
        outer: [u32; 8],
    }

    impl Hmac {
        pub(crate) fn update(&mut self, data: &[u8]) {
            self.inner.update(data);
        }

        /// The 32-byte tag.
        pub(crate) fn finalize(self) -> [u8; 32] {
            let mut outer = Sha256::after_one_block(self.outer);
            outer.update(&self.inner.finalize());
            outer.finalize()
        }

        /// Whether `tag` is this message's tag, compared in constant time (every
        /// byte is looked at whatever the first difference).
        pub(crate) fn verify(self, tag: &[u8; 32]) -> bool {
            same_tag(&self.finalize(), tag)
        }
    }
}

/// ring's HMAC-SHA256, behind the same interface.
#[cfg(feature = "rustls-ring")]
mod with_ring {
    use ring::hmac;

    /// A key prepared once (ring's keeps both padded-key states). Boxed:
    /// ring's is 176 bytes, and it sits in `Authorizer`'s larger variant.
    #[derive(Clone)]
    pub(crate) struct HmacKey(Box<hmac::Key>);

    impl HmacKey {
        /// A key of any length (longer than a block: its hash is the key).
        pub(crate) fn new(key: &[u8]) -> Self {
            HmacKey(Box::new(hmac::Key::new(hmac::HMAC_SHA256, key)))
        }

        /// The HMAC of a message still to be fed with [`Hmac::update`].
        pub(crate) fn start(&self) -> Hmac {
            Hmac(hmac::Context::with_key(&self.0))
        }
    }

    /// A running HMAC-SHA256 (from [`HmacKey::start`]).
    pub(crate) struct Hmac(hmac::Context);

    impl Hmac {
        pub(crate) fn update(&mut self, data: &[u8]) {
            self.0.update(data);
        }

        /// The 32-byte tag.
        pub(crate) fn finalize(self) -> [u8; 32] {
            self.0
                .sign()
                .as_ref()
                .try_into()
                .expect("HMAC-SHA256 tags are 32 bytes")
        }

        /// Whether `tag` is this message's tag, compared in constant time.
        pub(crate) fn verify(self, tag: &[u8; 32]) -> bool {
            super::same_tag(&self.finalize(), tag)
        }
    }
}

/// `a == b`, looking at every byte whatever the first difference (a
/// signature check must not tell how much of a forged tag was right).
fn same_tag(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// `bytes` as hex digits, lowercase or uppercase.
pub(crate) fn hex(bytes: &[u8], upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 0xf)]));
    }
    out
}

/// Decodes exactly `2 * out.len()` hex digits of either case into `out`;
/// `None` for any other length or any other character.
pub(crate) fn decode_hex(text: &str, out: &mut [u8]) -> Option<()> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let text = text.as_bytes();
    if text.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256(data: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(data);
        hex(&h.finalize(), false)
    }

    /// The HMAC in use and the portable one (the same type without ring):
    /// every HMAC test runs on both.
    trait Key: Sized {
        fn make(key: &[u8]) -> Self;
        fn tag(&self, parts: &[&[u8]]) -> [u8; 32];
        fn check(&self, parts: &[&[u8]], tag: &[u8; 32]) -> bool;
    }

    macro_rules! impl_key {
        ($($path:ident)::+) => {
            impl Key for $($path)::+::HmacKey {
                fn make(key: &[u8]) -> Self {
                    Self::new(key)
                }
                fn tag(&self, parts: &[&[u8]]) -> [u8; 32] {
                    let mut mac = self.start();
                    parts.iter().for_each(|p| mac.update(p));
                    mac.finalize()
                }
                fn check(&self, parts: &[&[u8]], tag: &[u8; 32]) -> bool {
                    let mut mac = self.start();
                    parts.iter().for_each(|p| mac.update(p));
                    mac.verify(tag)
                }
            }
        };
    }
    impl_key!(portable);
    #[cfg(feature = "rustls-ring")]
    impl_key!(with_ring);

    /// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
    #[test]
    fn sha256_matches_the_nist_examples() {
        assert_eq!(
            sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            sha256(
                b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
            ),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        );
        assert_eq!(
            sha256(&vec![b'a'; 1_000_000]),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    /// RFC 4231 §4 test cases 1-4, 6 and 7 (5 truncates the tag).
    #[test]
    fn hmac_matches_rfc_4231() {
        rfc_4231::<HmacKey>();
        rfc_4231::<portable::HmacKey>();
    }

    fn rfc_4231<K: Key>() {
        let cases: [(Vec<u8>, &[u8], &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                &[0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                (1..=25).collect(),
                &[0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(
                hex(&K::make(&key).tag(&[data]), false),
                want,
                "key of {} bytes",
                key.len()
            );
        }
    }

    /// Every key length around the block size, every message length up to
    /// three blocks, fed in pieces split at every position: the same tags as
    /// the `hmac`/`sha2` crates.
    #[test]
    fn hmac_agrees_with_the_rustcrypto_crates() {
        agrees_with_the_rustcrypto_crates::<HmacKey>();
        agrees_with_the_rustcrypto_crates::<portable::HmacKey>();
    }

    fn agrees_with_the_rustcrypto_crates<K: Key>() {
        use hmac::{KeyInit, Mac};
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for key_len in [0, 1, 31, 32, 63, 64, 65, 100, 200] {
            let key = &bytes[..key_len];
            for msg_len in 0..=3 * BLOCK + 1 {
                let msg = &bytes[key_len % 7..key_len % 7 + msg_len];
                let mut theirs =
                    <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
                theirs.update(msg);
                let want: [u8; 32] = theirs.finalize().into_bytes().into();
                for split in [0, msg_len / 3, msg_len / 2, msg_len] {
                    let parts = [&msg[..split], &msg[split..]];
                    let at = format!("key {key_len}, msg {msg_len}, split {split}");
                    let mine = K::make(key);
                    assert_eq!(mine.tag(&parts), want, "{at}");
                    assert!(mine.check(&parts, &want), "{at}");
                }
            }
        }
    }

    #[test]
    fn verify_refuses_any_other_tag() {
        refuses_any_other_tag::<HmacKey>();
        refuses_any_other_tag::<portable::HmacKey>();
    }

    fn refuses_any_other_tag<K: Key>() {
        let key = K::make(b"key");
        let mut tag = key.tag(&[b"message"]);
        assert!(key.check(&[b"message"], &tag));
        for i in [0, 17, 31] {
            tag[i] ^= 1;
            assert!(!key.check(&[b"message"], &tag));
            tag[i] ^= 1;
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(hex(&bytes, false), "000fa5ff");
        assert_eq!(hex(&bytes, true), "000FA5FF");
        let mut out = [0u8; 4];
        for text in ["000fa5ff", "000FA5FF", "000Fa5fF"] {
            assert_eq!(decode_hex(text, &mut out), Some(()));
            assert_eq!(out, bytes);
        }
        for text in [
            "",
            "000fa5f",
            "000fa5fff",
            "000fa5fg",
            "000fa5\u{e9}",
            " 00fa5ff",
            "+00fa5ff",
        ] {
            assert_eq!(decode_hex(text, &mut out), None, "{text:?}");
        }
    }
}
