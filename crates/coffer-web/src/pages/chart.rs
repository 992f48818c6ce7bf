//! The daily consumption chart: a server-rendered SVG of stacked bars by category,
//! no JavaScript library. Each bar has a `<title>` for hover and screen readers.

use std::collections::BTreeMap;
use std::fmt::Write;

use coffer_core::money::Currency;
use coffer_core::policy::Category;
use coffer_store::records::ChargeRecord;

use crate::fmt::money;

const W: f64 = 760.0;
const H: f64 = 240.0;
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;
/// The most days drawn; longer ranges show their last days.
pub const MAX_DAYS: usize = 92;
const COLORS: [(&str, &str); 3] = [("payg", "#2f6fde"), ("sms", "#e08a1e"), ("testing", "#2aa876")];

/// Sums settled, unreversed charges by bill date and category.
pub fn daily_totals(charges: &[ChargeRecord]) -> BTreeMap<String, [i64; 3]> {
    let mut days: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    for c in charges.iter().filter(|c| c.reversal.is_none()) {
        let slot = match c.charge.category {
            Category::Payg => 0,
            Category::Sms => 1,
            Category::Testing => 2,
        };
        days.entry(c.charge.bill_date.to_string()).or_insert([0; 3])[slot] += c.charge.amount.minor();
    }
    days
}

/// Every day from `from` to `to` (inclusive, `YYYY-MM-DD`), at most [`MAX_DAYS`] of the latest.
pub fn days_between(from: &str, to: &str) -> Vec<String> {
    let (Ok(mut d), Ok(end)) = (from.parse::<jiff::civil::Date>(), to.parse::<jiff::civil::Date>()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while d <= end && out.len() < 3660 {
        out.push(d.to_string());
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    let skip = out.len().saturating_sub(MAX_DAYS);
    out.split_off(skip)
}

/// The chart for `days`, with amounts from `totals`.
pub fn svg(days: &[String], totals: &BTreeMap<String, [i64; 3]>, c: Currency) -> String {
    if days.is_empty() {
        return "<p class=\"empty\">Choose a date range to see the chart.</p>".into();
    }
    let max = days.iter().filter_map(|d| totals.get(d)).map(|t| t.iter().sum::<i64>()).max().unwrap_or(0).max(1);
    let plot_h = H - TOP - BOTTOM;
    let step = (W - LEFT - 10.0) / days.len() as f64;
    let bar = (step * 0.7).max(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"chart-title\" \
         preserveAspectRatio=\"none\"><title id=\"chart-title\">Daily consumption by category, {} to {}, \
         highest day {}</title>",
        days[0],
        days[days.len() - 1],
        money(max, c)
    );
    axes(&mut s, max, c, plot_h);
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + i as f64 * step + (step - bar) / 2.0;
        let t = totals.get(d).copied().unwrap_or([0; 3]);
        let mut y = TOP + plot_h;
        for (k, (name, color)) in COLORS.iter().enumerate() {
            if t[k] == 0 {
                continue;
            }
            let h = t[k] as f64 / max as f64 * plot_h;
            y -= h;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{color}\">\
                 <title>{d} {name}: {}</title></rect>",
                money(t[k], c)
            );
        }
    }
    labels(&mut s, days, step);
    s.push_str("</svg>");
    s.push_str(&legend());
    s
}

fn axes(s: &mut String, max: i64, c: Currency, plot_h: f64) {
    let base = TOP + plot_h;
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{W}\" y2=\"{base}\" stroke=\"#999\"/>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{W}\" y2=\"{TOP}\" stroke=\"#ddd\" stroke-dasharray=\"4 4\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"axis\">{}</text>\
         <text x=\"{}\" y=\"{base}\" text-anchor=\"end\" class=\"axis\">0</text>",
        LEFT - 6.0,
        TOP + 10.0,
        money(max, c),
        LEFT - 6.0
    );
}

fn labels(s: &mut String, days: &[String], step: f64) {
    let picks = [0, days.len() / 2, days.len() - 1];
    for (n, &i) in picks.iter().enumerate() {
        if n > 0 && i == picks[n - 1] {
            continue;
        }
        let x = LEFT + i as f64 * step + step / 2.0;
        let _ =
            write!(s, "<text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"axis\">{}</text>", H - 6.0, days[i]);
    }
}

fn legend() -> String {
    let items: String = COLORS
        .iter()
        .map(|(name, color)| format!("<li><span class=\"swatch\" style=\"background:{color}\"></span>{name}</li>"))
        .collect();
    format!("<ul class=\"legend\" aria-label=\"Categories\">{items}</ul>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_of_days_includes_both_ends() {
        assert_eq!(days_between("2026-02-27", "2026-03-01"), vec!["2026-02-27", "2026-02-28", "2026-03-01"]);
    }

    #[test]
    fn the_chart_draws_one_bar_segment_per_category_with_consumption() {
        let days = vec!["2026-03-01".to_owned()];
        let totals = BTreeMap::from([("2026-03-01".to_owned(), [100, 0, 50])]);
        let svg = svg(&days, &totals, Currency::Cny);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("2026-03-01 payg: ¥1.00"));
    }
}
