//! How every panel writes the same things: SNR in dB with PPQ's linear ratio on hover, long op names shortened in
//! the middle (the ends tell ops apart: `/backbone/…/conv2/Conv`) with the full name on hover, and tables the user
//! can sort by any column. One place, so the panels cannot disagree.

use ppq_pipeline::analysis::snr_db;
use yew::prelude::*;

/// Names longer than this many characters are shortened.
pub const MAX_NAME: usize = 28;

/// `s` shortened in the middle to at most `max` characters (counted as chars, never splitting one).
pub fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 5 {
        return s.to_string();
    }
    let keep = max - 1;
    let head = keep / 2;
    let tail = keep - head;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// An op or tensor name as a `<code>`, shortened when long, the full name on hover.
pub fn name(s: &str) -> Html {
    let short = shorten(s, MAX_NAME);
    html! { <code class="name" title={s.to_string()}>{ short }</code> }
}

/// SNR text in dB (`34.2 dB`, `∞ dB` when there is no noise).
pub fn db_text(snr: f64) -> String {
    let db = snr_db(snr);
    if db.is_finite() { format!("{db:.1} dB") } else { "∞ dB".into() }
}

/// SNR in dB with the linear noise/signal ratio on hover; `data-snr` keeps the exact ratio for tests and scripts.
pub fn db(snr: f64) -> Html {
    html! {
        <span class="db" data-snr={snr.to_string()} title={format!("PPQ's SNR (noise / signal power): {snr:.6}")}>
            { db_text(snr) }
        </span>
    }
}

/// A change of SNR in dB against a base (`+1.3 dB`): positive is better (less noise).
pub fn db_delta(snr: f64, base: f64) -> String {
    let d = snr_db(snr) - snr_db(base);
    if d.is_finite() { format!("{d:+.1} dB") } else { String::new() }
}

/// What a column sorts by.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// Text, compared as text.
    Text(String),
    /// A number (NaN sorts last).
    Num(f64),
}

impl Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        match (self, other) {
            (Key::Num(a), Key::Num(b)) => a.partial_cmp(b).unwrap_or_else(|| b.is_nan().cmp(&a.is_nan()).reverse()),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Num(_), Key::Text(_)) => std::cmp::Ordering::Less,
            (Key::Text(_), Key::Num(_)) => std::cmp::Ordering::Greater,
        }
    }
}

/// One row: its sort keys (one per column) and the `<tr>` to draw.
#[derive(Clone, PartialEq)]
pub struct Row {
    /// One key per column.
    pub keys: Vec<Key>,
    /// The row itself.
    pub html: Html,
}

/// Properties of [`SortTable`].
#[derive(Properties, PartialEq)]
pub struct SortTableProps {
    /// The table's id.
    #[prop_or_default]
    pub id: AttrValue,
    /// Extra classes.
    #[prop_or_default]
    pub class: Classes,
    /// Column heads: (label, numeric). Numeric columns are right-aligned and sort largest first on the first click.
    pub columns: Vec<(&'static str, bool)>,
    /// The rows, in their natural order (shown until the user sorts).
    pub rows: Vec<Row>,
}

/// A table whose column heads sort it (click again to reverse; a third click restores the natural order).
#[function_component(SortTable)]
pub fn sort_table(p: &SortTableProps) -> Html {
    let sort = use_state(|| None::<(usize, bool)>);
    let mut order: Vec<usize> = (0..p.rows.len()).collect();
    if let Some((col, desc)) = *sort {
        order.sort_by(|&a, &b| {
            let (ka, kb) = (p.rows[a].keys.get(col), p.rows[b].keys.get(col));
            let o = match (ka, kb) {
                (Some(x), Some(y)) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            };
            if desc { o.reverse() } else { o }
        });
    }
    html! {
        <table id={p.id.clone()} class={classes!("sortable", p.class.clone())}>
            <thead><tr>
                { for p.columns.iter().enumerate().map(|(i, &(label, numeric))| {
                    let state = sort.clone();
                    let onclick = Callback::from(move |_| {
                        let next = match *state {
                            Some((c, first)) if c == i && first == numeric => Some((i, !numeric)),
                            Some((c, _)) if c == i => None,
                            _ => Some((i, numeric)),
                        };
                        state.set(next);
                    });
                    let aria = match *sort {
                        Some((c, true)) if c == i => "descending",
                        Some((c, false)) if c == i => "ascending",
                        _ => "none",
                    };
                    html! {
                        <th class={classes!(numeric.then_some("num"))} aria-sort={aria}>
                            <button class="sort" {onclick} title="Sort by this column">{ label }</button>
                        </th>
                    }
                }) }
            </tr></thead>
            <tbody>{ for order.iter().map(|&i| p.rows[i].html.clone()) }</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shortened_in_the_middle() {
        assert_eq!(shorten("conv1", 28), "conv1");
        let long = "/backbone/stage3/block2/conv2/Conv";
        let s = shorten(long, 20);
        assert_eq!(s.chars().count(), 20);
        assert!(s.starts_with("/backbone") && s.ends_with("/Conv") && s.contains('…'), "{s}");
        assert_eq!(shorten("ééééééééééé", 6).chars().count(), 6, "never splits a char");
    }

    #[test]
    fn db_text_is_signal_over_noise() {
        assert_eq!(db_text(0.01), "20.0 dB");
        assert_eq!(db_text(0.0), "∞ dB");
        assert_eq!(db_delta(0.001, 0.01), "+10.0 dB");
    }

    #[test]
    fn numeric_keys_sort_nan_last() {
        let mut v = [Key::Num(f64::NAN), Key::Num(2.0), Key::Num(1.0)];
        v.sort_by(|a, b| a.cmp(b));
        assert_eq!(v[0], Key::Num(1.0));
        assert!(matches!(v[2], Key::Num(x) if x.is_nan()));
    }
}
