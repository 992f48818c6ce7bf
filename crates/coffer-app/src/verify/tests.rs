use coffer_core::ids::AccountId;
use coffer_core::journal::{EntryKind, Posting};
use coffer_core::time::Timestamp;
use coffer_store::records::{JournalTxRecord, GENESIS_HASH};

use super::journal::hash_matches;
use super::*;
use crate::journal::entry_hash;

#[test]
fn settled_charges_are_found_by_bisection() {
    let settled: Vec<_> = [1, 2, 5, 9].into_iter().map(|id| (JournalTxId(id), id * 10)).collect();
    for id in [1, 2, 5, 9] {
        assert_eq!(revenue_of(&settled, JournalTxId(id)), Some(id * 10));
    }
    assert_eq!(revenue_of(&settled, JournalTxId(3)), None);
}

#[test]
fn the_journal_spans_hold_every_id_exactly_once() {
    for max in [0, 1, 15, 16, 17, 1_000, 123_457] {
        let spans = spans(max, JOURNAL_SPANS);
        assert_eq!(spans.len(), JOURNAL_SPANS as usize);
        for id in [i64::MIN + 1, -1, 0, 1, max / 2, max, max + 1, i64::MAX] {
            let holding = spans.iter().filter(|s| s.after < id && id <= s.up_to).count();
            assert_eq!(holding, 1, "id {id} of max {max}: {spans:?}");
        }
        assert!(spans.windows(2).all(|w| w[0].up_to == w[1].after), "{spans:?}");
    }
}

#[test]
fn the_streaming_hash_check_agrees_with_the_journal_hash() {
    let postings = vec![Posting::new(Book::FundingBank, 0, -1_234), Posting::new(Book::Voucher, 7, 1_234)];
    let mut tx = JournalTxRecord {
        id: JournalTxId(3),
        account_id: AccountId(42),
        seq: 9,
        kind: EntryKind::CashCredit,
        memo: "bank transfer ÄÖ 12".into(),
        at: Timestamp(1_795_658_400_000),
        prev_hash: GENESIS_HASH.to_owned(),
        hash: String::new(),
        postings: Vec::new(),
    };
    tx.hash = entry_hash(&tx.prev_hash, 42, 9, tx.kind.as_str(), tx.at, &tx.memo, &postings);
    let mut buf = Vec::new();
    assert!(hash_matches(&tx, &postings, &mut buf));
    tx.memo.push('!');
    assert!(!hash_matches(&tx, &postings, &mut buf));
}
