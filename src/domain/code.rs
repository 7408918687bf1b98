//! Discount codes: 10 characters from a 31-letter alphabet with no look-alikes (no 0/O, 1/I/L), about
//! 49.5 bits of entropy, shown as `XXXXX-XXXXX`. A code is never stored: it is derived from a random
//! nonce with the server key (so the customer can see it again) and looked up by its keyed hash.

use std::fmt;

use crate::secret::ServerKey;

/// The alphabet: digits 2–9 and the Latin capitals without I, L and O.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a code.
pub const LEN: usize = 10;

/// A well-formed discount code, normalized (upper case, no separators).
#[derive(Clone, PartialEq, Eq)]
pub struct DiscountCode(String);

impl DiscountCode {
    /// Parses what a person typed or a QR carried: case, spaces and dashes do not matter; anything
    /// outside the alphabet or of the wrong length is `None`.
    pub fn parse(input: &str) -> Option<Self> {
        let normalized: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let well_formed =
            normalized.len() == LEN && normalized.bytes().all(|b| ALPHABET.contains(&b));
        well_formed.then_some(Self(normalized))
    }

    /// The code a nonce stands for under `key`.
    pub fn derive(key: &ServerKey, nonce: &str) -> Self {
        let mac = key.mac(&[b"discount-code", nonce.as_bytes()]);
        let mut n = u64::from_be_bytes(mac[..8].try_into().expect("8 bytes"));
        let mut text = String::with_capacity(LEN);
        for _ in 0..LEN {
            text.push(ALPHABET[(n % ALPHABET.len() as u64) as usize] as char);
            n /= ALPHABET.len() as u64;
        }
        Self(text)
    }

    /// The keyed hash the database stores and is searched by.
    pub fn hash(&self, key: &ServerKey) -> String {
        key.hash_hex(&[b"discount-hash", self.0.as_bytes()])
    }

    /// The plain code, for QR images and the customer's own chat; never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The code as printed for people: `ABCDE-FGHJK`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

impl fmt::Debug for DiscountCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Codes are bearer secrets: a log shows only that there was one.
        f.write_str("DiscountCode(***)")
    }
}

/// A fresh random nonce (128 bits, hex) from which a code is derived.
pub fn new_nonce() -> String {
    hex::encode(crate::secret::random_bytes::<16>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_has_no_look_alikes() {
        for c in b"01OIL" {
            assert!(!ALPHABET.contains(c), "{}", *c as char);
        }
        assert!((ALPHABET.len() as f64).log2() * LEN as f64 >= 40.0);
    }

    #[test]
    fn typed_codes_are_normalized() {
        let code = DiscountCode::parse(" abcde-fghjk ").unwrap();
        assert_eq!(code.expose(), "ABCDEFGHJK");
        assert_eq!(code.display(), "ABCDE-FGHJK");
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "ABCDE",
            "ABCDEFGHJKM",
            "ABCDE-FGHJ0",
            "ABCDEFGHIL",
            "ABCDÉFGHJK",
            "'; DROP TABLE",
        ] {
            assert!(DiscountCode::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_code_is_derived_the_same_way_each_time_and_differs_per_nonce_and_key() {
        let key = ServerKey::from_material(&[3u8; 32]).unwrap();
        let a = DiscountCode::derive(&key, "n1");
        assert_eq!(a, DiscountCode::derive(&key, "n1"));
        assert_ne!(a, DiscountCode::derive(&key, "n2"));
        assert_ne!(
            a,
            DiscountCode::derive(&ServerKey::from_material(&[4u8; 32]).unwrap(), "n1")
        );
        assert_eq!(DiscountCode::parse(a.expose()), Some(a.clone()));
        assert_eq!(format!("{a:?}"), "DiscountCode(***)");
    }

    #[test]
    fn derived_codes_spread_over_the_alphabet() {
        let key = ServerKey::random();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let code = DiscountCode::derive(&key, &new_nonce());
            seen.extend(code.expose().bytes());
            assert!(DiscountCode::parse(code.expose()).is_some());
        }
        assert_eq!(seen.len(), ALPHABET.len());
    }
}
