//! Values that must never reach a log, and the server key that hashes codes and tokens.
//!
//! Codes and tokens are stored as keyed hashes (HMAC-SHA256 with the server key), so a copy of the database
//! alone reveals none of them and cannot be brute-forced offline.

use std::fmt;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A value whose `Debug` and `Display` print `***`. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The wrapped value; call it only where the value is used, never to print it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The server key. Cloning is cheap enough (32 bytes); it prints as `***`.
#[derive(Clone)]
pub struct ServerKey(Secret<Vec<u8>>);

/// The shortest key accepted from configuration, in bytes.
pub const MIN_KEY_LEN: usize = 32;

impl ServerKey {
    /// A key from configured material (at least [`MIN_KEY_LEN`] bytes).
    pub fn from_material(material: &[u8]) -> Result<Self, String> {
        if material.len() < MIN_KEY_LEN {
            return Err(format!(
                "the server key must have at least {MIN_KEY_LEN} characters"
            ));
        }
        Ok(Self(Secret::new(material.to_vec())))
    }

    /// A fresh random key (tests, benchmarks and the first start of the embedded default).
    pub fn random() -> Self {
        Self(Secret::new(random_bytes::<32>().to_vec()))
    }

    /// Reads the key file in `dir`, creating it with a random key on first use. This is what lets the
    /// embedded default start with no configuration while codes stay valid across restarts.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("secret.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let bytes = hex::decode(text.trim()).map_err(std::io::Error::other)?;
            return Self::from_material(&bytes).map_err(std::io::Error::other);
        }
        std::fs::create_dir_all(dir)?;
        let key = random_bytes::<32>();
        write_private(&path, &hex::encode(key))?;
        Ok(Self(Secret::new(key.to_vec())))
    }

    /// HMAC-SHA256 of `parts` (domain-separated by the caller's first part), as lowercase hex.
    pub fn hash_hex(&self, parts: &[&[u8]]) -> String {
        hex::encode(self.mac(parts))
    }

    /// HMAC-SHA256 of `parts`, raw.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.0.expose()).expect("HMAC takes any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(***)")
    }
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system has no random source");
    buf
}

/// Constant-time equality of two byte strings (for comparing hashes of secrets).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let secret = Secret::new("hunter2-token".to_string());
        assert_eq!(format!("{secret:?} {secret}"), "*** ***");
        assert_eq!(format!("{:?}", ServerKey::random()), "ServerKey(***)");
    }

    #[test]
    fn a_short_configured_key_is_refused() {
        assert!(ServerKey::from_material(b"short").is_err());
        assert!(ServerKey::from_material(&[7u8; 32]).is_ok());
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("dvorik-key-{}", uuid::Uuid::new_v4()));
        let first = ServerKey::load_or_create(&dir).unwrap();
        let second = ServerKey::load_or_create(&dir).unwrap();
        assert_eq!(first.hash_hex(&[b"x"]), second.hash_hex(&[b"x"]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hashing_is_keyed_and_separates_parts() {
        let key = ServerKey::from_material(&[1u8; 32]).unwrap();
        let other = ServerKey::from_material(&[2u8; 32]).unwrap();
        assert_ne!(key.hash_hex(&[b"ab"]), other.hash_hex(&[b"ab"]));
        assert_ne!(key.hash_hex(&[b"a", b"b"]), key.hash_hex(&[b"ab"]));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
