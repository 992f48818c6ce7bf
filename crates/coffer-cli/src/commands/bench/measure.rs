//! Latency percentiles, peak memory, bytes on disk.

use std::path::Path;

/// Latencies in microseconds, sorted once for percentiles (every sample is kept:
/// no histogram bucketing error).
pub struct Latencies(Vec<u32>);

impl Latencies {
    pub fn new(mut samples: Vec<u32>) -> Latencies {
        samples.sort_unstable();
        Latencies(samples)
    }

    /// The `q`-quantile (0..=1) in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let last = self.0.len() - 1;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let idx = ((last as f64) * q).round() as usize;
        f64::from(self.0[idx.min(last)]) / 1000.0
    }
}

/// Peak resident set size of this process in MB (Linux `VmHWM`), if known.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time (user + system) this process has used so far, in seconds (Linux
/// `/proc/self/stat`, clock ticks of 10 ms): on a loaded machine wall time
/// overstates what a pass costs, CPU time does not.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Size of a SQLite database with its WAL and shared-memory files.
pub fn sqlite_bytes(db: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            std::fs::metadata(Path::new(&p)).ok().map(|m| m.len())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::Latencies;

    #[test]
    fn percentiles_pick_from_the_sorted_samples() {
        let l = Latencies::new((1..=1000).rev().collect());
        assert_eq!(l.ms(0.5), 0.501);
        assert_eq!(l.ms(0.99), 0.990);
        assert_eq!(l.ms(1.0), 1.0);
    }
}
