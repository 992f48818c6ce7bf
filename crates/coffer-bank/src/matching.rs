//! Finding transfer reference codes (`CF` + account id + Luhn digit, see
//! `coffer_core::account`) in remittance text. Payers rarely type the code alone:
//! "payment CF18 invoice 7", "CF18/Nov". Every word of letters and digits is
//! tried; the check digit keeps a stray number from naming an account, and only
//! a code exactly as Coffer prints it counts (no leading zeros, no account 0), so
//! "CF00" or "CF018" name nothing.

use coffer_core::account::{parse_transfer_reference, transfer_reference};
use coffer_core::ids::AccountId;

/// The distinct accounts named by reference codes in `text`, in order of appearance.
pub fn account_references(text: &str) -> Vec<AccountId> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if let Some(id) = parse_transfer_reference(word) {
            let canonical = id.0 > 0 && transfer_reference(id).eq_ignore_ascii_case(word);
            if canonical && !found.contains(&id) {
                found.push(id);
            }
        }
    }
    found
}

/// The one account `text` names, if it names exactly one.
pub fn single_account_reference(text: &str) -> Option<AccountId> {
    match account_references(text).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_found_among_other_words() {
        let code = transfer_reference(AccountId(18));
        assert_eq!(account_references(&format!("payment {code}/Nov invoice 7")), vec![AccountId(18)]);
        assert_eq!(single_account_reference(&code.to_lowercase()), Some(AccountId(18)));
    }

    #[test]
    fn two_different_references_name_no_single_account() {
        let text = format!("{} {}", transfer_reference(AccountId(1)), transfer_reference(AccountId(2)));
        assert_eq!(account_references(&text).len(), 2);
        assert_eq!(single_account_reference(&text), None);
        let twice = format!("{0} {0}", transfer_reference(AccountId(3)));
        assert_eq!(single_account_reference(&twice), Some(AccountId(3)));
    }

    #[test]
    fn a_mistyped_reference_names_nothing() {
        let code = transfer_reference(AccountId(1234));
        let last = code.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0);
        let typo = format!("{}{}", &code[..code.len() - 1], (last + 1) % 10);
        assert_eq!(account_references(&typo), vec![]);
        assert_eq!(account_references("CF"), vec![]);
        assert_eq!(account_references("CF00 CF018"), vec![], "account 0 and leading zeros are not codes");
    }
}
