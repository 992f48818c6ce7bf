//! RSA key loading in the forms Alipay's tools and SDKs hand out.
//!
//! Alipay's key tool emits bare Base64 without PEM armour: PKCS#8 for "Java", PKCS#1 for the other
//! languages. Alipay's public key is a bare Base64 X.509 SubjectPublicKeyInfo. We accept all of these, with or
//! without PEM armour and with any whitespace, so an operator can paste whatever the console showed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::signature::{KeyPair, RsaKeyPair};

/// Why a key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text (after removing PEM armour and whitespace) is not Base64.
    #[error("the key is not Base64 (or PEM around Base64)")]
    NotBase64,
    /// The bytes are neither a PKCS#8 nor a PKCS#1 RSA private key that ring accepts.
    #[error("not an RSA private key in PKCS#8 or PKCS#1 form (2048 to 4096 bits): {0}")]
    BadPrivateKey(String),
    /// The bytes are not an RSA SubjectPublicKeyInfo (or a PKCS#1 RSAPublicKey).
    #[error("not an RSA public key (X.509 SubjectPublicKeyInfo or PKCS#1)")]
    BadPublicKey,
    /// The RSA modulus is outside 2048..=8192 bits, which RSA2 verification refuses.
    #[error("RSA public key of {0} bits; RSA2 needs 2048 to 8192")]
    UnsupportedKeySize(usize),
}

/// A merchant (or sandbox) RSA private key used to make RSA2 signatures.
#[derive(Debug)]
pub struct PrivateKey {
    pair: RsaKeyPair,
}

impl PrivateKey {
    /// Parses PKCS#8 or PKCS#1, PEM-armoured or bare Base64; whitespace anywhere is ignored.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let der = decode_armoured(text)?;
        // PKCS#8 first, then PKCS#1, as A.4 advises: the two encodings cannot be mistaken for each other.
        let pair = RsaKeyPair::from_pkcs8(&der)
            .or_else(|_| RsaKeyPair::from_der(&der))
            .map_err(|e| KeyError::BadPrivateKey(e.to_string()))?;
        Ok(PrivateKey { pair })
    }

    /// The matching public key (handy for tests and for checking a configured pair).
    pub fn public_key(&self) -> PublicKey {
        PublicKey { pkcs1: self.pair.public_key().as_ref().to_vec() }
    }

    pub(crate) fn pair(&self) -> &RsaKeyPair {
        &self.pair
    }
}

/// An RSA public key used to verify RSA2 signatures (Alipay's key on the merchant side, the merchant's key in
/// the sandbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// ring verifies against the PKCS#1 `RSAPublicKey`, not the SPKI wrapper around it.
    pkcs1: Vec<u8>,
}

impl PublicKey {
    /// Parses an X.509 SubjectPublicKeyInfo (`MIIBIjAN...`, as Alipay shows it) or a PKCS#1 `RSAPublicKey`,
    /// PEM-armoured or bare Base64; whitespace anywhere is ignored.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let der = decode_armoured(text)?;
        let pkcs1 = der::rsa_public_key(&der).ok_or(KeyError::BadPublicKey)?;
        let bits = der::modulus_bits(pkcs1).ok_or(KeyError::BadPublicKey)?;
        if !(2048..=8192).contains(&bits) {
            return Err(KeyError::UnsupportedKeySize(bits));
        }
        Ok(PublicKey { pkcs1: pkcs1.to_vec() })
    }

    pub(crate) fn pkcs1(&self) -> &[u8] {
        &self.pkcs1
    }
}

/// Drops PEM armour lines (`-----BEGIN ...`) and all whitespace, then decodes Base64.
fn decode_armoured(text: &str) -> Result<Vec<u8>, KeyError> {
    let body: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(|line| line.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).map_err(|_| KeyError::NotBase64)
}

/// Just enough DER to unwrap a SubjectPublicKeyInfo; a full ASN.1 crate would be more code than this.
mod der {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const BIT_STRING: u8 = 0x03;
    const OID: u8 = 0x06;
    /// 1.2.840.113549.1.1.1 (rsaEncryption).
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

    /// Splits one TLV off the front: (tag, contents, rest).
    fn next(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
        let (tag, body, rest) = next(input)?;
        (tag == want).then_some((body, rest))
    }

    /// The PKCS#1 `RSAPublicKey` inside an SPKI, or the input itself when it already is one.
    pub(super) fn rsa_public_key(der: &[u8]) -> Option<&[u8]> {
        let (outer, trailing) = expect(der, SEQUENCE)?;
        if !trailing.is_empty() {
            return None;
        }
        if outer.first() == Some(&INTEGER) {
            return Some(der);
        }
        let (algorithm, rest) = expect(outer, SEQUENCE)?;
        let (oid, _params) = expect(algorithm, OID)?;
        if oid != RSA_ENCRYPTION {
            return None;
        }
        let (bits, _) = expect(rest, BIT_STRING)?;
        // The first content byte of a BIT STRING counts unused bits; a key is whole bytes.
        let (&unused, key) = bits.split_first()?;
        (unused == 0).then_some(key)
    }

    /// Bit length of the modulus of a PKCS#1 `RSAPublicKey`.
    pub(super) fn modulus_bits(pkcs1: &[u8]) -> Option<usize> {
        let (body, _) = expect(pkcs1, SEQUENCE)?;
        let (modulus, rest) = expect(body, INTEGER)?;
        expect(rest, INTEGER)?;
        let significant: Vec<u8> = modulus.iter().copied().skip_while(|&b| b == 0).collect();
        let first = *significant.first()?;
        Some(significant.len() * 8 - first.leading_zeros() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPKI: &str = include_str!("../tests/fixtures/app_public_key.pem");

    #[test]
    fn garbage_is_not_base64() {
        assert_eq!(PublicKey::parse("not base64 !!").expect_err("garbage"), KeyError::NotBase64);
    }

    #[test]
    fn a_private_key_is_not_a_public_key() {
        let text = include_str!("../tests/fixtures/app_private_key_pkcs8.pem");
        assert_eq!(PublicKey::parse(text).expect_err("private key"), KeyError::BadPublicKey);
    }

    #[test]
    fn a_public_key_is_not_a_private_key() {
        assert!(matches!(PrivateKey::parse(SPKI), Err(KeyError::BadPrivateKey(_))));
    }

    #[test]
    fn the_modulus_size_is_read_from_the_spki() {
        let der = decode_armoured(SPKI).expect("fixture");
        assert_eq!(der::modulus_bits(der::rsa_public_key(&der).expect("spki")), Some(2048));
    }

    #[test]
    fn truncated_der_is_refused_without_panicking() {
        let der = decode_armoured(SPKI).expect("fixture");
        for len in 0..der.len() {
            assert!(der::rsa_public_key(&der[..len]).is_none(), "prefix of {len} bytes accepted");
        }
    }
}
