//! A family of series told apart by their label values, looked up without locks.
//!
//! The slots form a fixed open-addressing table. A slot is claimed once, through a
//! `OnceLock`, by the first label set that hashes to it; afterwards a lookup is a few
//! atomic loads and string comparisons, so recording on a hot path never waits on a
//! lock. A family is sized for the label sets a server can produce (routes, codes,
//! jobs); once it is full, further label sets are counted in `dropped` instead of
//! growing without bound.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// One series: its label values and its value cell.
pub struct Series<V> {
    pub labels: Box<[String]>,
    pub value: V,
}

pub struct Family<V> {
    slots: Box<[OnceLock<Series<V>>]>,
    dropped: AtomicU64,
}

impl<V: Default> Family<V> {
    pub fn with_capacity(capacity: usize) -> Family<V> {
        Family { slots: (0..capacity.max(1)).map(|_| OnceLock::new()).collect(), dropped: AtomicU64::new(0) }
    }

    /// The series of `labels`, claimed on first use; `None` once the family is full.
    pub fn get(&self, labels: &[&str]) -> Option<&V> {
        let start = slot_of(labels, self.slots.len());
        for step in 0..self.slots.len() {
            let slot = &self.slots[(start + step) % self.slots.len()];
            let series = slot.get_or_init(|| Series {
                labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                value: V::default(),
            });
            if series.labels.iter().map(String::as_str).eq(labels.iter().copied()) {
                return Some(&series.value);
            }
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Every claimed series, ordered by label values so that scrapes read stably.
    pub fn series(&self) -> Vec<&Series<V>> {
        let mut all: Vec<&Series<V>> = self.slots.iter().filter_map(OnceLock::get).collect();
        all.sort_by(|a, b| a.labels.cmp(&b.labels));
        all
    }

    /// How many recordings found no free slot.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

fn slot_of(labels: &[&str], len: usize) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    labels.hash(&mut hasher);
    (hasher.finish() % len as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_labels_find_the_same_series() {
        let family: Family<AtomicU64> = Family::with_capacity(8);
        family.get(&["a", "b"]).map(|v| v.fetch_add(1, Ordering::Relaxed));
        family.get(&["a", "b"]).map(|v| v.fetch_add(1, Ordering::Relaxed));
        family.get(&["a", "c"]).map(|v| v.fetch_add(1, Ordering::Relaxed));
        let series = family.series();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].value.load(Ordering::Relaxed), 2);
        assert_eq!(&*series[1].labels, &["a".to_owned(), "c".to_owned()]);
    }

    #[test]
    fn a_full_family_counts_what_it_drops() {
        let family: Family<AtomicU64> = Family::with_capacity(2);
        assert!(family.get(&["1"]).is_some());
        assert!(family.get(&["2"]).is_some());
        assert!(family.get(&["3"]).is_none());
        assert!(family.get(&["1"]).is_some());
        assert_eq!(family.dropped(), 1);
    }
}
