//! Importing a bank statement (CSV or camt.053, parsed by `coffer-bank`): every
//! booked credit is recorded like a manual transfer, matched by reference and
//! credited or queued, each in a transaction of its own (one account each, as the
//! store's sharding rule asks). Importing the same statement again credits
//! nothing more: each bank transaction id is recorded once. Debits and entries
//! not yet booked are skipped; unreadable rows are reported with their position
//! and field and change nothing. A statement of another bank account than the
//! configured payee account is refused whole.

use coffer_bank::{normalize_account_number, Entry, Format, Statement};
use coffer_core::ids::AccountId;

use super::bank_transfers::{operator_name, record_transfer_in_tx, Incoming, Origin, TransferOutcome};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::App;

pub struct ImportStatement<'a> {
    /// `csv` or `camt053`.
    pub format: &'a str,
    pub text: &'a str,
    pub imported_by: &'a str,
}

/// What an import did, entry by entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Readable entries in the statement, skipped ones included.
    pub entries: u32,
    pub credited: u32,
    pub queued_unmatched: u32,
    /// Always 0: statement entries are the bank's word and need no second operator.
    pub awaiting_approval: u32,
    /// Bank transactions recorded before (by an earlier import or by hand).
    pub duplicates: u32,
    /// Debits and entries not booked.
    pub skipped: u32,
    /// Rows or entries that could not be read or recorded, in file order.
    pub errors: Vec<ImportError>,
    /// One line per readable entry, in file order.
    pub lines: Vec<ImportLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// The CSV line a row starts on, or the camt.053 entry's position; 0 for the file.
    pub index: usize,
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportLine {
    pub index: usize,
    pub bank_transaction_id: String,
    pub outcome: LineOutcome,
    pub transfer_id: Option<i64>,
    pub account_id: Option<AccountId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineOutcome {
    Recorded(TransferOutcome),
    Skipped { reason: String },
}

impl LineOutcome {
    /// `credited`, `queued`, `awaiting_approval`, `duplicate` or `skipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineOutcome::Recorded(outcome) => outcome.as_str(),
            LineOutcome::Skipped { .. } => "skipped",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            LineOutcome::Recorded(TransferOutcome::Queued { reason }) | LineOutcome::Skipped { reason } => Some(reason),
            LineOutcome::Recorded(_) => None,
        }
    }
}

impl ImportReport {
    fn start(statement: &Statement) -> ImportReport {
        let errors = statement
            .errors
            .iter()
            .map(|e| ImportError { index: e.index, field: e.field.to_owned(), message: e.message.clone() })
            .collect();
        let entries = u32::try_from(statement.entries.len()).unwrap_or(u32::MAX);
        ImportReport { entries, errors, ..ImportReport::default() }
    }

    fn count(&mut self, outcome: &LineOutcome) {
        let counter = match outcome {
            LineOutcome::Recorded(TransferOutcome::Credited) => &mut self.credited,
            LineOutcome::Recorded(TransferOutcome::Queued { .. }) => &mut self.queued_unmatched,
            LineOutcome::Recorded(TransferOutcome::AwaitingApproval) => &mut self.awaiting_approval,
            LineOutcome::Recorded(TransferOutcome::Duplicate) => &mut self.duplicates,
            LineOutcome::Skipped { .. } => &mut self.skipped,
        };
        *counter += 1;
    }
}

impl App {
    /// Imports a statement; see the module docs. Fails as a whole only when the
    /// store does (busy, down): entries already recorded stay recorded, and
    /// importing the statement again picks up where this one stopped.
    pub fn import_statement(&self, req: &ImportStatement<'_>) -> AppResult<ImportReport> {
        let format = Format::parse(req.format).ok_or_else(|| AppError::invalid("format", "must be csv or camt053"))?;
        let imported_by = operator_name("imported_by", req.imported_by)?;
        let statement = coffer_bank::parse(format, req.text);
        let mut report = ImportReport::start(&statement);
        if let Some(error) = self.foreign_account(&statement) {
            report.errors.insert(0, error);
            return Ok(report);
        }
        for entry in &statement.entries {
            self.import_entry(entry, format, &imported_by, &mut report)?;
        }
        report.errors.sort_by_key(|e| e.index);
        Ok(report)
    }

    /// A statement names the bank account it is for; money that arrived in another
    /// account is not ours to credit.
    fn foreign_account(&self, statement: &Statement) -> Option<ImportError> {
        let ours = normalize_account_number(&self.config.bank_details.account_number);
        let theirs = statement.accounts.iter().find(|a| normalize_account_number(a) != ours)?;
        let message = format!(
            "the statement is for account {theirs}, not the payee account {}; nothing was imported",
            self.config.bank_details.account_number
        );
        Some(ImportError { index: 0, field: "account".into(), message })
    }

    fn import_entry(
        &self,
        entry: &Entry,
        format: Format,
        imported_by: &str,
        report: &mut ImportReport,
    ) -> AppResult<()> {
        let line = |outcome: LineOutcome, transfer_id, account_id| ImportLine {
            index: entry.index,
            bank_transaction_id: entry.bank_transaction_id.clone(),
            outcome,
            transfer_id,
            account_id,
        };
        if let Some(reason) = skip_reason(entry) {
            let skipped = line(LineOutcome::Skipped { reason: reason.into() }, None, None);
            report.count(&skipped.outcome);
            report.lines.push(skipped);
            return Ok(());
        }
        let (threshold, now) = (self.config.approval_threshold_minor, self.now());
        let origin = Origin::Statement(format);
        let recorded = Incoming::from_entry(entry).and_then(|incoming| {
            self.write(|tx| record_transfer_in_tx(tx, &incoming, origin, imported_by, threshold, now))
        });
        match recorded {
            Ok(r) => {
                let done = line(LineOutcome::Recorded(r.outcome), Some(r.transfer.id), r.transfer.transfer.account_id);
                report.count(&done.outcome);
                report.lines.push(done);
                Ok(())
            }
            Err(e) if matches!(e.code, ErrorCode::StoreBusy | ErrorCode::Internal) => Err(e),
            Err(e) => {
                report.errors.push(entry_error(entry.index, e));
                Ok(())
            }
        }
    }
}

fn skip_reason(entry: &Entry) -> Option<&'static str> {
    match (entry.credit_or_debit, entry.booked) {
        (coffer_bank::CreditDebit::Debit, _) => Some("a debit: money out of the payee account"),
        (_, false) => Some("not booked yet: import the statement again once the bank books it"),
        _ => None,
    }
}

fn entry_error(index: usize, e: AppError) -> ImportError {
    // The cash credit names its id `external_id`; in a statement it is the bank's.
    let field = match e.field {
        Some("external_id") => "bank_transaction_id",
        Some(other) => other,
        None => "entry",
    };
    ImportError { index, field: field.to_owned(), message: e.message }
}
