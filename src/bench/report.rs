//! The bench's figures, as a table on stdout, a CSV and a Markdown table.

use std::fmt::Write as _;

use crate::bench::words::Bench;
use crate::text::decimal_point;

/// The figures of one model at one message size and one number of connections (one run, or
/// the median of several).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub model: String,
    /// Bytes in each message and in each reply.
    pub size: usize,
    pub conns: usize,
    /// Replies received whole and right during the run.
    pub msgs: u64,
    pub secs: f64,
    pub msgs_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// Connections that got no reply before the end of the run.
    pub unserved: usize,
    /// Connections refused, reset or answered wrongly.
    pub errors: usize,
    pub cpu_us_per_msg: Option<f64>,
    pub peak_rss_kib: Option<u64>,
    pub procs: usize,
    pub threads: usize,
    pub syscalls_per_msg: Option<f64>,
    /// How much msgs/s varied between the repetitions of this cell: (max − min) / median, in
    /// percent; None for a single run.
    pub spread_pct: Option<f64>,
}

/// The median of some numbers (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// The median of runs of the same model and connections, figure by figure: each cell is the
/// median of that column over the runs, as a repeated measure is usually reported.
pub fn median_row(runs: &[Row]) -> Row {
    let Some(first) = runs.first() else {
        return Row::default();
    };
    let of = |f: &dyn Fn(&Row) -> f64| median(runs.iter().map(f).collect());
    let of_some = |f: &dyn Fn(&Row) -> Option<f64>| {
        let values: Vec<f64> = runs.iter().filter_map(f).collect();
        (!values.is_empty()).then(|| median(values))
    };
    let rates: Vec<f64> = runs.iter().map(|r| r.msgs_per_s).collect();
    let (lo, hi) = rates.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| {
        (lo.min(r), hi.max(r))
    });
    let middle = median(rates);
    Row {
        model: first.model.clone(),
        size: first.size,
        conns: first.conns,
        msgs: of(&|r| r.msgs as f64).round() as u64,
        secs: of(&|r| r.secs),
        msgs_per_s: of(&|r| r.msgs_per_s),
        p50_us: of(&|r| r.p50_us),
        p99_us: of(&|r| r.p99_us),
        max_us: of(&|r| r.max_us),
        unserved: of(&|r| r.unserved as f64).round() as usize,
        errors: of(&|r| r.errors as f64).round() as usize,
        cpu_us_per_msg: of_some(&|r| r.cpu_us_per_msg),
        peak_rss_kib: of_some(&|r| r.peak_rss_kib.map(|k| k as f64)).map(|k| k.round() as u64),
        procs: of(&|r| r.procs as f64).round() as usize,
        threads: of(&|r| r.threads as f64).round() as usize,
        syscalls_per_msg: of_some(&|r| r.syscalls_per_msg),
        spread_pct: (runs.len() > 1 && middle > 0.0).then(|| 100.0 * (hi - lo) / middle),
    }
}

/// A latency or a rate with as many digits as are meaningful.
fn short(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn or_dash<T>(value: Option<T>, show: impl Fn(T) -> String) -> String {
    value.map_or_else(|| "-".to_string(), show)
}

/// The cells of a row, in the order of [`Bench::headings`], their decimal numbers written as
/// the language writes them (`12,5` in French; the CSV keeps its points).
fn cells(row: &Row) -> Vec<String> {
    let cells = vec![
        row.model.clone(),
        row.size.to_string(),
        row.conns.to_string(),
        format!("{:.0}", row.msgs_per_s),
        short(row.p50_us),
        short(row.p99_us),
        short(row.max_us),
        row.unserved.to_string(),
        row.errors.to_string(),
        or_dash(row.cpu_us_per_msg, short),
        or_dash(row.peak_rss_kib, |k| format!("{:.1}", k as f64 / 1024.0)),
        row.procs.to_string(),
        row.threads.to_string(),
        or_dash(row.syscalls_per_msg, |s| format!("{s:.2}")),
    ];
    cells.iter().map(|cell| decimal_point(cell)).collect()
}

/// The table for a terminal: columns aligned, numbers to the right.
pub fn table(rows: &[Row]) -> String {
    let headings = Bench::headings();
    let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let widths: Vec<usize> = (0..headings.len())
        .map(|c| {
            body.iter()
                .map(|r| r[c].chars().count())
                .chain([headings[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                let _ = write!(out, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "  {}{cell}", " ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(&mut out, &headings);
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    line(
        &mut out,
        &rule.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for row in &body {
        line(
            &mut out,
            &row.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    out
}

/// The same table in Markdown, for the book.
pub fn markdown(rows: &[Row]) -> String {
    let headings = Bench::headings();
    let mut out = format!("| {} |\n", headings.join(" | "));
    let align: Vec<&str> = (0..headings.len())
        .map(|c| if c == 0 { ":--" } else { "--:" })
        .collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
    for row in rows {
        let _ = writeln!(out, "| {} |", cells(row).join(" | "));
    }
    out
}

/// The CSV's header: machine-read, so in English whatever `--lang` says.
pub const CSV_HEADER: &str = "model,size,conns,msgs,secs,msgs_per_s,p50_us,p99_us,max_us,unserved,errors,cpu_us_per_msg,peak_rss_kib,procs,threads,syscalls_per_msg,spread_pct";

/// Every figure, one line per model, size and number of connections, empty where not
/// measured.
pub fn csv(rows: &[Row]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{:.3},{:.1},{:.1},{:.1},{:.1},{},{},{},{},{},{},{},{}",
            r.model,
            r.size,
            r.conns,
            r.msgs,
            r.secs,
            r.msgs_per_s,
            r.p50_us,
            r.p99_us,
            r.max_us,
            r.unserved,
            r.errors,
            r.cpu_us_per_msg
                .map_or(String::new(), |v| format!("{v:.2}")),
            r.peak_rss_kib.map_or(String::new(), |v| v.to_string()),
            r.procs,
            r.threads,
            r.syscalls_per_msg
                .map_or(String::new(), |v| format!("{v:.2}")),
            r.spread_pct.map_or(String::new(), |v| format!("{v:.0}")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn row(model: &str, rate: f64, cpu: Option<f64>) -> Row {
        Row {
            model: model.into(),
            size: 64,
            conns: 10,
            msgs_per_s: rate,
            cpu_us_per_msg: cpu,
            ..Row::default()
        }
    }

    #[test]
    fn the_median_is_taken_column_by_column() {
        let runs = [
            row("mio", 300.0, Some(2.0)),
            row("mio", 100.0, None),
            row("mio", 200.0, Some(4.0)),
        ];
        let m = median_row(&runs);
        assert_eq!(m.msgs_per_s, 200.0);
        assert_eq!(m.spread_pct, Some(100.0), "(300 - 100) / 200");
        assert_eq!(
            m.cpu_us_per_msg,
            Some(3.0),
            "the median of the runs that have one"
        );
    }

    #[test]
    fn the_csv_has_one_line_per_row_and_dashes_become_empty() {
        let csv = csv(&[row("poll", 1234.5, None)]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].split(',').count(), CSV_HEADER.split(',').count());
        assert!(lines[1].starts_with("poll,64,10,0,0.000,1234.5,"));
    }
}
