//! HMAC-SHA256 for the tokens and webhook signatures of this module, and
//! the hex the signatures travel in.
//!
//! With the `rustls-ring` feature (the default), ring is built for rustls
//! anyway and its HMAC is used: no crate more for a dependent to compile
//! (the RustCrypto `hmac`/`sha2` stack was about 6 s of every dependent's
//! clean build, benches/build_weight.sh and BENCHMARKS.md). With
//! `native-tls` or `rustls-aws-lc-rs`, those features bring `hmac` and
//! `sha2` (native-tls has no hash Rust code can call). No hash is written
//! out here: the tests compare ring's tags with the RustCrypto crates'
//! over the RFC 4231 vectors and many lengths.

#[cfg(not(any(
    feature = "rustls-ring",
    feature = "rustls-aws-lc-rs",
    feature = "native-tls"
)))]
compile_error!(
    "talkjs needs one TLS feature: rustls-ring (the default), rustls-aws-lc-rs or native-tls"
);

#[cfg(feature = "rustls-ring")]
pub(crate) use with_ring::{Hmac, HmacKey};
#[cfg(not(feature = "rustls-ring"))]
pub(crate) use with_rustcrypto::{Hmac, HmacKey};

/// RustCrypto's HMAC-SHA256, behind the same interface as ring's.
#[cfg(not(feature = "rustls-ring"))]
mod with_rustcrypto {
    use hmac::{KeyInit, Mac};

    type HmacSha256 = hmac::Hmac<sha2::Sha256>;

    /// A key prepared once.
    #[derive(Clone)]
    pub(crate) struct HmacKey(HmacSha256);

    impl HmacKey {
        /// A key of any length (longer than a block: its hash is the key).
        pub(crate) fn new(key: &[u8]) -> Self {
            HmacKey(
                <HmacSha256 as KeyInit>::new_from_slice(key)
                    .expect("HMAC accepts keys of any length"),
            )
        }

        /// The HMAC of a message still to be fed with [`Hmac::update`].
        pub(crate) fn start(&self) -> Hmac {
            Hmac(self.0.clone())
        }
    }

    /// A running HMAC-SHA256 (from [`HmacKey::start`]).
    pub(crate) struct Hmac(HmacSha256);

    impl Hmac {
        pub(crate) fn update(&mut self, data: &[u8]) {
            Mac::update(&mut self.0, data);
        }

        /// The 32-byte tag.
        pub(crate) fn finalize(self) -> [u8; 32] {
            self.0.finalize().into_bytes().into()
        }

        /// Whether `tag` is this message's tag, compared in constant time.
        pub(crate) fn verify(self, tag: &[u8; 32]) -> bool {
            self.0.verify_slice(tag).is_ok()
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

        /// Whether `tag` is this message's tag, compared in constant time
        /// (a signature check must not tell how much of a forged tag was
        /// right).
        pub(crate) fn verify(self, tag: &[u8; 32]) -> bool {
            use subtle::ConstantTimeEq;
            self.finalize().ct_eq(tag).into()
        }
    }
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

    /// The HMAC in use (ring's with `rustls-ring`, RustCrypto's otherwise),
    /// behind one interface for the tests.
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
    #[cfg(not(feature = "rustls-ring"))]
    impl_key!(with_rustcrypto);
    #[cfg(feature = "rustls-ring")]
    impl_key!(with_ring);

    /// RFC 4231 §4 test cases 1-4, 6 and 7 (5 truncates the tag).
    #[test]
    fn hmac_matches_rfc_4231() {
        rfc_4231::<HmacKey>();
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
    }

    fn agrees_with_the_rustcrypto_crates<K: Key>() {
        use hmac::{KeyInit, Mac};
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for key_len in [0, 1, 31, 32, 63, 64, 65, 100, 200] {
            let key = &bytes[..key_len];
            for msg_len in 0..=3 * 64 + 1 {
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
