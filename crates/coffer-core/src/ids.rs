//! Typed identifiers. Numeric ids are assigned by the store; textual ids come from
//! the platform and are validated once here.

use std::fmt;

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

numeric_id!(
    /// A billing account.
    AccountId
);
numeric_id!(
    /// A voucher inside a billing account.
    VoucherId
);
numeric_id!(
    /// A prepaid card inside a billing account.
    CardId
);
numeric_id!(
    /// A settled charge.
    ChargeId
);
numeric_id!(
    /// A journal transaction.
    JournalTxId
);
numeric_id!(
    /// A batch of voucher activation codes.
    CodeBatchId
);

/// Why a textual identifier was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextIdError {
    Empty,
    TooLong { max_len: usize },
    InvalidCharacter,
}

impl fmt::Display for TextIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextIdError::Empty => f.write_str("must not be empty"),
            TextIdError::TooLong { max_len } => write!(f, "must be at most {max_len} characters"),
            TextIdError::InvalidCharacter => f.write_str("may contain only letters, digits, '-', '_', '.' and ':'"),
        }
    }
}

fn validate_text_id(text: &str, max_len: usize) -> Result<(), TextIdError> {
    if text.is_empty() {
        return Err(TextIdError::Empty);
    }
    if text.len() > max_len {
        return Err(TextIdError::TooLong { max_len });
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    if !text.chars().all(allowed) {
        return Err(TextIdError::InvalidCharacter);
    }
    Ok(())
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(text: &str) -> Result<$name, TextIdError> {
                validate_text_id(text, $max)?;
                Ok($name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// A workspace of the SaaS platform, named by the platform.
    WorkspaceId,
    64
);
text_id!(
    /// The platform's id for one bill; unique per workspace forever.
    BillId,
    128
);
text_id!(
    /// An id given by a payment rail: a bank transaction id, an Alipay trade number.
    ExternalId,
    128
);
text_id!(
    /// A client-supplied idempotency key.
    IdempotencyKey,
    128
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ids_refuse_empty_long_and_odd_characters() {
        assert_eq!(WorkspaceId::parse(""), Err(TextIdError::Empty));
        assert_eq!(WorkspaceId::parse(&"a".repeat(65)), Err(TextIdError::TooLong { max_len: 64 }));
        assert_eq!(WorkspaceId::parse("ws 1"), Err(TextIdError::InvalidCharacter));
        assert!(WorkspaceId::parse("wksp_01-a.b:c").is_ok());
    }
}
