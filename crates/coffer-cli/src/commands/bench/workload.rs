//! The benchmark's workload, deterministic for a seed: accounts with a realistic
//! instrument mix, and a stream of charges (90% payg, 5% sms, 5% testing) sized so
//! most charges touch one to three instruments and later ones reach arrears.

/// SplitMix64: tiny, fast and good enough to draw a workload from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }
}

/// One account's opening instruments, in minor units.
pub struct AccountMix {
    pub cash: i64,
    pub standard_vouchers: [i64; 2],
    pub discount_voucher: i64,
    pub cards: Vec<i64>,
}

pub fn account_mix(rng: &mut Rng) -> AccountMix {
    let cards = (0..rng.range(1, 2)).map(|_| rng.range(1, 3) * 10_000).collect();
    AccountMix {
        cash: rng.range(0, 10_000),
        standard_vouchers: [rng.range(1_000, 3_000), rng.range(1_000, 3_000)],
        discount_voucher: rng.range(500, 2_000),
        cards,
    }
}

/// One bill line of the stream.
pub struct ChargeSpec {
    /// Account index, 0-based.
    pub account: usize,
    /// Billing-center workspace, else the account's cloud-settled one.
    pub billing_center: bool,
    pub category: &'static str,
    pub amount_minor: i64,
}

/// The `n`-th charge of the stream for `seed`: independent of the others, so
/// workers draw charges in any order and the stream stays the same.
pub fn charge(seed: u64, n: u64, accounts: usize, hot: bool) -> ChargeSpec {
    let mut rng = Rng::new(seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
    let account = if hot { 0 } else { usize::try_from(rng.next() % accounts.max(1) as u64).unwrap_or(0) };
    let category = match rng.range(0, 99) {
        0..=89 => "payg",
        90..=94 => "sms",
        _ => "testing",
    };
    ChargeSpec { account, billing_center: rng.range(0, 9) < 7, category, amount_minor: rng.range(500, 12_000) }
}

/// The workspace ids of account index `a`.
pub fn workspace(a: usize, billing_center: bool) -> String {
    if billing_center {
        format!("bench-{a}-bc")
    } else {
        format!("bench-{a}-cloud")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_stream() {
        let a: Vec<i64> = (0..50).map(|n| charge(7, n, 100, false).amount_minor).collect();
        let b: Vec<i64> = (0..50).map(|n| charge(7, n, 100, false).amount_minor).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn categories_follow_the_mix_roughly() {
        let payg = (0..10_000).filter(|&n| charge(1, n, 10, false).category == "payg").count();
        assert!((8_500..9_500).contains(&payg), "{payg}");
    }
}
