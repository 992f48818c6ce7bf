//! Activation-code secrets: codes are stored only as HMAC-SHA256 under a server
//! key, so a copy of the database does not reveal a single redeemable code.

use std::io::Write;
use std::path::Path;

use coffer_core::code::{ActivationCode, RANDOM_BYTES};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::{AppError, AppResult, ErrorCode};

pub const KEY_LEN: usize = 32;

/// The keyed hash of a code, as stored.
pub fn code_hash(key: &[u8], code: &ActivationCode) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(code.canonical().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A fresh code from the operating system's random source.
pub fn random_code() -> ActivationCode {
    let mut bytes = [0u8; RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    ActivationCode::from_random(bytes)
}

/// Reads the code key from `path` (hex), creating it with fresh random bytes and
/// owner-only permissions if it does not exist.
pub fn load_or_create_key(path: &Path) -> AppResult<Vec<u8>> {
    let io = |e: std::io::Error| AppError::new(ErrorCode::Internal, format!("code key file {}: {e}", path.display()));
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(io)?;
        return parse_key_hex(text.trim());
    }
    let mut key = vec![0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    file.write_all(hex::encode(&key).as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(key)
}

/// Parses a hex key of at least 16 bytes (from a file or `COFFER_CODE_KEY`).
pub fn parse_key_hex(text: &str) -> AppResult<Vec<u8>> {
    let key = hex::decode(text).map_err(|_| AppError::invalid("code_key", "must be hex"))?;
    if key.len() < 16 {
        return Err(AppError::invalid("code_key", "must be at least 16 bytes"));
    }
    Ok(key)
}
