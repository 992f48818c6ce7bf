//! Voucher activation codes: 16 characters in four groups of four, from a 32-letter
//! alphabet without the look-alikes 0, 1, I and O, the last character a check
//! character. 15 random characters carry 75 bits of entropy. Parsing ignores case,
//! dashes and spaces. Random bytes are an input; the core draws none.

use std::fmt;

/// The 32 characters of a code: no 0/O or 1/I look-alikes.
pub const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
pub const CODE_LEN: usize = 16;
pub const RANDOM_BYTES: usize = CODE_LEN - 1;

/// A well-formed activation code in canonical form (upper case, no dashes).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ActivationCode(String);

/// Codes are secrets: their debug form hides them.
impl fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActivationCode(..)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeFormatError {
    WrongLength,
    InvalidCharacter,
    CheckCharacterMismatch,
}

impl fmt::Display for CodeFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeFormatError::WrongLength => "an activation code has 16 characters",
            CodeFormatError::InvalidCharacter => "an activation code uses only 2-9 and A-Z without I and O",
            CodeFormatError::CheckCharacterMismatch => "the activation code has a typo (check character mismatch)",
        })
    }
}

impl ActivationCode {
    /// Builds a code from 15 random bytes (only the low five bits of each are used).
    pub fn from_random(bytes: [u8; RANDOM_BYTES]) -> ActivationCode {
        let mut text: Vec<u8> = bytes.iter().map(|b| ALPHABET[usize::from(b & 31)]).collect();
        text.push(check_char(&text));
        ActivationCode(text.into_iter().map(char::from).collect())
    }

    /// Parses user input: case, dashes and spaces do not matter.
    pub fn parse(input: &str) -> Result<ActivationCode, CodeFormatError> {
        let cleaned: Vec<u8> =
            input.bytes().filter(|b| !matches!(b, b'-' | b' ' | b'\t')).map(|b| b.to_ascii_uppercase()).collect();
        if cleaned.len() != CODE_LEN {
            return Err(CodeFormatError::WrongLength);
        }
        if !cleaned.iter().all(|b| ALPHABET.contains(b)) {
            return Err(CodeFormatError::InvalidCharacter);
        }
        let (body, check) = cleaned.split_at(CODE_LEN - 1);
        if check != [check_char(body)] {
            return Err(CodeFormatError::CheckCharacterMismatch);
        }
        Ok(ActivationCode(cleaned.into_iter().map(char::from).collect()))
    }

    /// The canonical form, which is what gets hashed.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The form shown to people once: XXXX-XXXX-XXXX-XXXX.
    pub fn display_grouped(&self) -> String {
        let chunks: Vec<&str> = (0..4).filter_map(|i| self.0.get(i * 4..i * 4 + 4)).collect();
        chunks.join("-")
    }
}

/// A weighted sum modulo 32 with odd weights, which are invertible modulo 32: any
/// single substitution changes the check character, and so does any swap of
/// neighbours except two characters exactly 16 places apart in the alphabet.
fn check_char(body: &[u8]) -> u8 {
    let sum: usize =
        body.iter().enumerate().map(|(idx, b)| (2 * idx + 1) * ALPHABET.iter().position(|a| a == b).unwrap_or(0)).sum();
    ALPHABET[sum % 32]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_code_parses_in_any_case_with_or_without_dashes() {
        let code = ActivationCode::from_random([7, 200, 13, 99, 1, 0, 255, 31, 32, 64, 5, 6, 7, 8, 9]);
        let shown = code.display_grouped();
        assert_eq!(shown.len(), 19);
        assert_eq!(ActivationCode::parse(&shown), Ok(code.clone()));
        assert_eq!(ActivationCode::parse(&shown.to_lowercase()), Ok(code.clone()));
        assert_eq!(ActivationCode::parse(code.canonical()), Ok(code));
    }

    #[test]
    fn a_single_typo_or_swap_is_caught_by_the_check_character() {
        let code = ActivationCode::from_random([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let text = code.canonical().as_bytes().to_vec();
        for idx in 0..CODE_LEN - 1 {
            for &replacement in ALPHABET.iter() {
                if replacement == text[idx] {
                    continue;
                }
                let mut typo = text.clone();
                typo[idx] = replacement;
                let typo = String::from_utf8(typo).unwrap_or_default();
                assert!(ActivationCode::parse(&typo).is_err(), "{typo}");
            }
        }
        let mut swapped = text.clone();
        swapped.swap(2, 3);
        let swapped = String::from_utf8(swapped).unwrap_or_default();
        let pos = |b: u8| ALPHABET.iter().position(|a| *a == b).unwrap_or(0) as i32;
        let distance = (pos(text[2]) - pos(text[3])).abs();
        assert!(ActivationCode::parse(&swapped).is_err() || text[2] == text[3] || distance == 16);
    }

    #[test]
    fn malformed_codes_say_what_is_wrong() {
        assert_eq!(ActivationCode::parse("ABC"), Err(CodeFormatError::WrongLength));
        assert_eq!(ActivationCode::parse("0000-0000-0000-0000"), Err(CodeFormatError::InvalidCharacter));
    }
}
