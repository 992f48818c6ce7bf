//! Group commit for charges: many concurrent callers share one durable transaction.
//!
//! A dedicated writer thread takes the requests waiting in its queue (up to
//! `max_batch`, waiting at most `max_wait` for more), settles them in arrival order
//! inside ONE write transaction, each in a savepoint of its own, commits once, and
//! only then answers every caller. The cost of a durable commit (an fsync, a WAL
//! flush) is paid once per batch instead of once per charge.
//!
//! The rules of a single charge still hold:
//! - **A failing charge changes nothing else.** Each charge runs between
//!   `savepoint` and `rollback_to_savepoint`, so a refused charge leaves no trace
//!   and the others in its batch commit.
//! - **Per-account order.** Requests are settled in the order they arrived; a
//!   charge that is deferred (below) takes every later request of the batch with it.
//! - **Idempotency.** A bill posted twice in one batch: the second sees the first,
//!   since both run in the same transaction, and is answered as a replay.
//! - **Durability.** A caller hears `Ok` only after the commit returned; if the
//!   commit fails, every charge of the batch that had succeeded gets the error.
//!
//! `StoreBusy` (on PostgreSQL a lock timeout or a deadlock with another server's
//! transaction) must not reach a caller for a contention the batching created: the
//! batch commits what it settled so far, and the busy charge and those after it go
//! first into the next batch, a few times before the error is returned.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use coffer_store::WriteTx;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::use_cases::charges::{settle_charge_in_tx, ChargeSettled, SettleCharge};
use crate::App;

/// When a batch is flushed: after `max_batch` charges, or when the queue is empty
/// and `max_wait` has passed since the batch's first request. A zero `max_wait`
/// flushes as soon as the queue is empty: requests arriving during a commit form
/// the next batch, so batches grow with load and a lone caller never waits.
#[derive(Clone, Copy, Debug)]
pub struct GroupConfig {
    pub max_batch: usize,
    pub max_wait: Duration,
}

impl Default for GroupConfig {
    fn default() -> GroupConfig {
        GroupConfig { max_batch: 256, max_wait: Duration::ZERO }
    }
}

/// How many times a charge refused with `StoreBusy` is carried into a next batch.
const BUSY_RETRIES: u32 = 5;

/// A charge request the writer thread can own.
#[derive(Clone, Debug)]
pub struct OwnedCharge {
    pub workspace_id: String,
    pub bill_id: String,
    pub category: String,
    pub amount_minor: i64,
    pub currency: String,
    pub bill_date: String,
}

impl OwnedCharge {
    pub fn of(req: &SettleCharge<'_>) -> OwnedCharge {
        OwnedCharge {
            workspace_id: req.workspace_id.to_owned(),
            bill_id: req.bill_id.to_owned(),
            category: req.category.to_owned(),
            amount_minor: req.amount_minor,
            currency: req.currency.to_owned(),
            bill_date: req.bill_date.to_owned(),
        }
    }

    pub fn as_request(&self) -> SettleCharge<'_> {
        SettleCharge {
            workspace_id: &self.workspace_id,
            bill_id: &self.bill_id,
            category: &self.category,
            amount_minor: self.amount_minor,
            currency: &self.currency,
            bill_date: &self.bill_date,
        }
    }
}

type Reply = SyncSender<AppResult<ChargeSettled>>;

struct Job {
    charge: OwnedCharge,
    reply: Reply,
    busy_retries: u32,
}

impl Job {
    fn answer(self, result: AppResult<ChargeSettled>) {
        // A caller that went away no longer needs its answer; the charge stands.
        let _ = self.reply.send(result);
    }
}

/// The writer thread and the queue to it. Dropping it lets the thread finish the
/// queued requests and stop.
pub struct GroupCommitter {
    queue: Option<Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    /// Transactions the writer has opened, for benchmarks and metrics.
    batches: Arc<AtomicU64>,
}

impl GroupCommitter {
    /// Starts the writer thread over `app`'s store, policy and clock.
    pub fn start(app: App, config: GroupConfig) -> GroupCommitter {
        let (queue, requests) = mpsc::channel();
        let config = GroupConfig { max_batch: config.max_batch.max(1), ..config };
        let batches = Arc::new(AtomicU64::new(0));
        let counter = batches.clone();
        let writer = std::thread::Builder::new()
            .name("coffer-group-commit".into())
            .spawn(move || write_forever(&app, config, &requests, &counter))
            .unwrap_or_else(|e| panic!("cannot start the group-commit writer thread: {e}"));
        GroupCommitter { queue: Some(queue), writer: Some(writer), batches }
    }

    /// How many batch transactions have been opened so far.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Settles a charge in the next batch; returns once that batch is durable.
    pub fn settle(&self, req: &SettleCharge<'_>) -> AppResult<ChargeSettled> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job { charge: OwnedCharge::of(req), reply, busy_retries: 0 };
        // The writer-queue gauge counts charges between submission and answer.
        crate::metrics::add_writer_queue(1);
        let sent = self.queue.as_ref().map(|q| q.send(job).is_ok()).unwrap_or(false);
        let answered = match sent {
            true => answer.recv().unwrap_or_else(|_| Err(writer_gone())),
            false => Err(writer_gone()),
        };
        crate::metrics::add_writer_queue(-1);
        answered
    }
}

impl Drop for GroupCommitter {
    fn drop(&mut self) {
        self.queue.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn writer_gone() -> AppError {
    AppError::new(ErrorCode::Internal, "the group-commit writer thread stopped")
}

fn write_forever(app: &App, config: GroupConfig, requests: &Receiver<Job>, batches: &AtomicU64) {
    let mut pending: VecDeque<Job> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match requests.recv() {
                Ok(job) => pending.push_back(job),
                Err(_) => return,
            }
        }
        gather(requests, &mut pending, config);
        let take = pending.len().min(config.max_batch);
        let batch: Vec<Job> = pending.drain(..take).collect();
        batches.fetch_add(1, Ordering::Relaxed);
        // Deferred requests go back to the front, so arrival order is kept.
        for job in settle_batch(app, batch).into_iter().rev() {
            pending.push_front(job);
        }
    }
}

/// Adds waiting requests to `pending` until the batch is full, the queue is empty
/// and `max_wait` has passed.
fn gather(requests: &Receiver<Job>, pending: &mut VecDeque<Job>, config: GroupConfig) {
    let deadline = Instant::now() + config.max_wait;
    while pending.len() < config.max_batch {
        match requests.try_recv() {
            Ok(job) => pending.push_back(job),
            Err(_) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return;
                }
                match requests.recv_timeout(left) {
                    Ok(job) => pending.push_back(job),
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    }
}

/// What became of one charge inside the batch transaction.
enum Unit {
    /// Settled or refused; a refusal left nothing behind. Boxed: a settlement is
    /// large and the other variants are small.
    Done(Box<AppResult<ChargeSettled>>),
    /// Refused with `StoreBusy`: worth another try in a fresh transaction.
    Busy(AppError),
    /// The transaction itself is unusable (a savepoint could not be taken or undone).
    Broken(AppError),
}

fn settle_one(tx: &mut dyn WriteTx, app: &App, job: &Job, now: coffer_core::time::Timestamp) -> Unit {
    if let Err(e) = tx.savepoint() {
        return Unit::Broken(e.into());
    }
    let result = settle_charge_in_tx(tx, &app.config.policy, &job.charge.as_request(), now);
    let end = match &result {
        Ok(_) => tx.release_savepoint(),
        Err(_) => tx.rollback_to_savepoint(),
    };
    match (result, end) {
        (_, Err(e)) => Unit::Broken(e.into()),
        (Err(e), Ok(())) if e.code == ErrorCode::StoreBusy => Unit::Busy(e),
        (result, Ok(())) => Unit::Done(Box::new(result)),
    }
}

/// Settles `jobs` in one transaction and answers them; returns the jobs deferred
/// to the next batch.
fn settle_batch(app: &App, jobs: Vec<Job>) -> Vec<Job> {
    let mut tx = match app.store.begin_write() {
        Ok(tx) => tx,
        Err(e) => return retry_or_answer(jobs, e.into()),
    };
    let now = app.now();
    let mut settled: Vec<(Job, AppResult<ChargeSettled>)> = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    let mut deferred = Vec::new();
    while let Some(job) = jobs.next() {
        match settle_one(tx.as_mut(), app, &job, now) {
            Unit::Done(result) => settled.push((job, *result)),
            Unit::Busy(e) => {
                deferred = retry_or_answer(std::iter::once(job).chain(jobs.by_ref()).collect(), e);
                break;
            }
            Unit::Broken(e) => {
                drop(tx);
                fail_all(settled, &e);
                return retry_or_answer(std::iter::once(job).chain(jobs).collect(), e);
            }
        }
    }
    match tx.commit() {
        Ok(()) => settled.into_iter().for_each(|(job, result)| job.answer(result)),
        Err(e) => fail_all(settled, &e.into()),
    }
    deferred
}

/// After a failed commit or a broken transaction nothing of the batch is stored:
/// charges that had succeeded get the error, refused ones keep their refusal.
fn fail_all(settled: Vec<(Job, AppResult<ChargeSettled>)>, e: &AppError) {
    for (job, result) in settled {
        job.answer(result.and_then(|_| Err(e.clone())));
    }
}

/// Jobs that may try again are returned, in order. A store that refuses to start
/// or keep a transaction fails them all; a busy refusal is retried, and only the
/// charge that has used up its retries gets the error.
fn retry_or_answer(jobs: Vec<Job>, e: AppError) -> Vec<Job> {
    if e.code != ErrorCode::StoreBusy {
        jobs.into_iter().for_each(|job| job.answer(Err(e.clone())));
        return Vec::new();
    }
    let mut jobs = jobs.into_iter();
    let mut retry = Vec::new();
    if let Some(first) = jobs.next() {
        if first.busy_retries >= BUSY_RETRIES {
            first.answer(Err(e));
        } else {
            retry.push(first);
        }
    }
    retry.extend(jobs);
    retry.into_iter().map(|j| Job { busy_retries: j.busy_retries + 1, ..j }).collect()
}
