use coffer_core::ids::AccountId;
use coffer_core::journal::{EntryKind, Posting};
use coffer_core::time::Timestamp;
use coffer_store::records::{JournalTxRecord, GENESIS_HASH};

use super::journal::hash_matches;
use super::*;
use crate::journal::entry_hash;

#[test]
fn claims_are_matched_in_order_out_of_order_and_each_transaction_once() {
    let settled: Vec<_> = [1, 2, 5, 9].into_iter().map(|id| (JournalTxId(id), id * 10)).collect();
    let claim = |id: i64, amount_minor: i64| (JournalTxId(id), amount_minor);
    let in_order = [claim(1, 10), claim(2, 20), claim(5, 50), claim(9, 90)];
    assert_eq!(match_claims(&in_order, &settled), Matching::default());
    let shuffled = [claim(5, 50), claim(1, 10), claim(9, 90), claim(2, 20)];
    assert_eq!(match_claims(&shuffled, &settled), Matching::default());
    // A missing transaction, a wrong amount, a transaction claimed twice, and one
    // claimed by no charge.
    let wrong = [claim(1, 10), claim(3, 30), claim(5, 51), claim(9, 90), claim(9, 90)];
    let expected = Matching { unmatched: vec![1, 2, 4], unclaimed: vec![JournalTxId(2)] };
    assert_eq!(match_claims(&wrong, &settled), expected);
}

#[test]
fn the_journal_spans_hold_every_id_exactly_once() {
    for max in [0, 1, 15, 16, 17, 1_000, 123_457, 9_999_999_999] {
        let spans = spans(max);
        assert!(spans.len() <= 20, "{} spans for max {max}", spans.len());
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
