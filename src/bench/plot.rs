//! The bench's picture: for each message size, msgs/s and p99 latency against the number of
//! connections, one line per model (plotters, SVG backend only).
//!
//! One row of two panels per message size, the models' colours the same in every panel, and
//! their legend in a strip of its own above the panels, where it cannot cover a line. The x
//! axes are logarithmic, as the connection counts are (1, 10, 100, 1000), with a tick at each
//! count measured; so is the latency axis, which spans microseconds to tens of milliseconds
//! between the fastest and the slowest model, with ticks at 1, 2, 5 × 10ⁿ (or at the powers of
//! ten when it spans more than two decades): at least three of them, each label different,
//! however few the points.

use plotters::prelude::*;

use super::report::Row;
use crate::bench::words::Bench;

const WIDTH: u32 = 1100;
/// The strip above the panels that names each model's colour.
const LEGEND_HEIGHT: u32 = 36;
/// One row of panels: one message size.
const ROW_HEIGHT: u32 = 420;
/// The note under the panels.
const NOTE_HEIGHT: u32 = 24;

/// Draws the rows into an SVG document.
pub fn svg(rows: &[Row]) -> Result<String, String> {
    let sizes = distinct(rows.iter().map(|r| r.size));
    let names = models(rows);
    let height = LEGEND_HEIGHT + ROW_HEIGHT * sizes.len().max(1) as u32 + NOTE_HEIGHT;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (legend, rest) = root.split_vertically(LEGEND_HEIGHT);
        let (charts, note) = rest.split_vertically(height - LEGEND_HEIGHT - NOTE_HEIGHT);
        draw_legend(&legend, &names).map_err(|e| e.to_string())?;
        note.draw_text(
            &Bench::PlotWaitingNote.to_string(),
            &("sans-serif", 14).into_text_style(&note),
            (12, 4),
        )
        .map_err(|e| e.to_string())?;
        for (area, &size) in charts.split_evenly((sizes.len(), 1)).iter().zip(&sizes) {
            let mine: Vec<Row> = rows.iter().filter(|r| r.size == size).cloned().collect();
            let (left, right) = area.split_horizontally(WIDTH / 2);
            draw(&left, &mine, &names, size, Panel::Throughput).map_err(|e| e.to_string())?;
            draw(&right, &mine, &names, size, Panel::Latency).map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    Throughput,
    Latency,
}

/// The values in the order they first appear, each once.
fn distinct<T: PartialEq>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

/// The models in the order they first appear.
fn models(rows: &[Row]) -> Vec<&str> {
    distinct(rows.iter().map(|r| r.model.as_str()))
}

/// A model's colour, the same in every panel.
fn color(names: &[&str], name: &str) -> RGBAColor {
    let i = names.iter().position(|n| *n == name).unwrap_or(0);
    Palette99::pick(i).to_rgba()
}

/// The legend: each model's line and name, side by side in a strip of their own.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: &[&str],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = ("sans-serif", 16).into_text_style(area);
    let mut x = 70;
    let y = (LEGEND_HEIGHT / 2) as i32;
    for name in names {
        let color = color(names, name);
        area.draw(&PathElement::new(
            vec![(x, y), (x + 28, y)],
            color.stroke_width(3),
        ))?;
        area.draw(&Circle::new((x + 14, y), 3, color.filled()))?;
        area.draw_text(name, &style, (x + 36, y - 9))?;
        let (width, _) = area.estimate_text_size(name, &style)?;
        x += 36 + width as i32 + 28;
    }
    Ok(())
}

/// Ticks at 1, 2 and 5 × 10ⁿ (or at 10ⁿ alone when `decades_only`): the last one at or below
/// `lo`, every one in between, and the first one at or above `hi`.
fn nice_ticks(lo: f64, hi: f64, decades_only: bool) -> Vec<f64> {
    let steps: &[f64] = if decades_only {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let first = lo.log10().floor() as i32 - 1;
    let last = hi.log10().ceil() as i32 + 1;
    let all: Vec<f64> = (first..=last)
        .flat_map(|n| steps.iter().map(move |step| step * 10f64.powi(n)))
        .collect();
    // A relative margin, so that 0.1 × 3 and 0.3 count as the same value.
    let (lo, hi) = (lo * (1.0 + 1e-9), hi * (1.0 - 1e-9));
    let from = all.iter().rposition(|&t| t <= lo).unwrap_or(0);
    let to = all.iter().position(|&t| t >= hi).unwrap_or(all.len() - 1);
    all[from..=to].to_vec()
}

/// The latency axis's ticks: at the powers of ten when the values span two decades or more,
/// else at 1, 2, 5 × 10ⁿ; at least three.
fn latency_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if hi >= 100.0 * lo {
        return nice_ticks(lo, hi, true);
    }
    let mut ticks = nice_ticks(lo, hi, false);
    // A single value, or two close ones: one more tick on each side.
    while ticks.len() < 3 {
        let (first, last) = (ticks[0], ticks[ticks.len() - 1]);
        ticks.insert(0, nice_ticks(first * 0.9, first * 0.9, false)[0]);
        ticks.extend(nice_ticks(last * 1.1, last * 1.1, false).last());
    }
    ticks
}

/// Ticks for the throughput axis, from 0: a step of 1, 2 or 5 × 10ⁿ, at most seven ticks.
fn rate_ticks(hi: f64) -> Vec<f64> {
    let hi = hi.max(1.0);
    let step = nice_ticks(hi / 6.0, hi / 6.0, false)
        .last()
        .copied()
        .unwrap_or(1.0);
    let count = (hi / step).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// The connection counts to label on a log axis from `lo` to `hi`: each one, except those too
/// close to the one before to leave room for its label (1, 2, 3 ... 10 would crowd at 8, 9, 10).
fn spaced(conns: &[usize], lo: f64, hi: f64) -> Vec<f64> {
    // A label needs about a sixteenth of the axis.
    let room = (hi.log10() - lo.log10()) / 16.0;
    let mut ticks: Vec<f64> = Vec::new();
    for &c in conns {
        let c = c as f64;
        if ticks.last().is_none_or(|&t| c.log10() - t.log10() >= room) {
            ticks.push(c);
        }
    }
    ticks
}

/// A latency in microseconds, in the unit that reads best: `500 µs`, `2 ms`, `1.5 s`.
fn latency_label(us: f64) -> String {
    let (value, unit) = if us >= 1e6 {
        (us / 1e6, "s")
    } else if us >= 1e3 {
        (us / 1e3, "ms")
    } else {
        (us, "µs")
    };
    format!("{} {unit}", (value * 1000.0).round() / 1000.0)
}

/// A rate: `40000` is `40k`.
fn rate_label(rate: f64) -> String {
    if rate >= 1000.0 {
        format!("{}k", (rate / 100.0).round() / 10.0)
    } else {
        format!("{}", (rate * 1000.0).round() / 1000.0)
    }
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[Row],
    names: &[&str],
    size: usize,
    panel: Panel,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let value = |row: &Row| match panel {
        Panel::Throughput => row.msgs_per_s,
        Panel::Latency => row.p99_us,
    };
    // A point with no reply at all has no latency (and no place on a log axis): it is left out.
    let shown = |row: &Row| panel == Panel::Throughput || row.p99_us > 0.0;
    let mut conns: Vec<usize> = distinct(rows.iter().map(|r| r.conns.max(1)));
    conns.sort_unstable();
    let x_lo = conns.first().copied().unwrap_or(1) as f64;
    let x_hi = conns.last().copied().unwrap_or(1) as f64;
    let x_range = (x_lo / 2.0..x_hi * 2.0).log_scale().with_key_points(spaced(
        &conns,
        x_lo / 2.0,
        x_hi * 2.0,
    ));
    let values: Vec<f64> = rows.iter().filter(|r| shown(r)).map(value).collect();
    let v_lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let v_hi = values.iter().copied().fold(0.0, f64::max);
    let (caption, y_desc) = match panel {
        Panel::Throughput => (Bench::ChartThroughput { size }, Bench::AxisMsgs),
        Panel::Latency => (Bench::ChartLatency { size }, Bench::AxisP99),
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption.to_string(), ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    let x_desc = Bench::AxisConnections.to_string();
    macro_rules! lines {
        ($chart:ident, $label:expr) => {
            $chart
                .configure_mesh()
                .x_desc(x_desc.as_str())
                .y_desc(y_desc.to_string())
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| $label(*y))
                .draw()?;
            for name in names {
                let color = color(names, name);
                let mine: Vec<&Row> = rows
                    .iter()
                    .filter(|r| r.model == *name && shown(r))
                    .collect();
                let points: Vec<(f64, f64)> =
                    mine.iter().map(|r| (r.conns as f64, value(r))).collect();
                $chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?;
                // A point where connections were left waiting is a hollow ring: its figures
                // are those of the connections that were served, not of all of them.
                $chart.draw_series(mine.iter().zip(&points).map(|(row, &point)| {
                    if row.unserved > 0 {
                        Circle::new(point, 5, color.stroke_width(2))
                    } else {
                        Circle::new(point, 3, color.filled())
                    }
                }))?;
            }
        };
    }
    match panel {
        Panel::Throughput => {
            let ticks = rate_ticks(v_hi);
            let step = ticks.get(1).copied().unwrap_or(1.0);
            let y_hi = ticks.last().copied().unwrap_or(1.0) * 1.05;
            // A tick every `step` from 0 (plotters's key points for a linear axis need not be
            // round numbers, and their labels could repeat once rounded).
            let y_range = (0.0..y_hi).step(step);
            let mut chart = builder.build_cartesian_2d(x_range, y_range)?;
            lines!(chart, rate_label);
        }
        Panel::Latency => {
            let ticks = if v_lo.is_finite() {
                latency_ticks(v_lo.max(1.0), v_hi.max(1.0))
            } else {
                vec![1.0, 10.0, 100.0]
            };
            let y_lo = ticks.first().copied().unwrap_or(1.0) / 1.25;
            let y_hi = ticks.last().copied().unwrap_or(100.0) * 1.25;
            let y_range = (y_lo..y_hi).log_scale().with_key_points(ticks);
            let mut chart = builder.build_cartesian_2d(x_range, y_range)?;
            lines!(chart, latency_label);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn rows(points: &[(&str, usize, usize, f64)]) -> Vec<Row> {
        points
            .iter()
            .map(|&(model, size, conns, p99)| Row {
                model: model.into(),
                size,
                conns,
                msgs_per_s: 1000.0,
                p99_us: p99,
                ..Row::default()
            })
            .collect()
    }

    #[test]
    fn every_model_and_size_is_named_in_the_svg() {
        let svg = svg(&rows(&[
            ("iterative", 64, 1, 900.0),
            ("iterative", 64, 10, 0.0),
            ("mio", 64, 1, 800.0),
            ("mio", 16384, 1, 800.0),
        ]))
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        // plotters writes each text on a line of its own inside its <text> element.
        assert!(svg.contains("\niterative\n</text>") && svg.contains("\nmio\n</text>"));
        assert!(svg.contains("64-byte") && svg.contains("16384-byte"));
    }

    #[test]
    fn a_log_axis_has_three_ticks_or_more_each_different() {
        for (lo, hi) in [
            (44000.0, 44000.0),
            (9.6, 10.4),
            (95.0, 180.0),
            (20.0, 48000.0),
            (1.0, 1.0),
            (0.9, 2_000_000.0),
        ] {
            let ticks = latency_ticks(lo, hi);
            assert!(ticks.len() >= 3, "{lo}..{hi}: {ticks:?}");
            assert!(ticks[0] <= lo && *ticks.last().unwrap() >= hi, "{ticks:?}");
            let labels: Vec<String> = ticks.iter().map(|&t| latency_label(t)).collect();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique, labels, "{lo}..{hi}");
        }
        assert_eq!(latency_ticks(9.6, 10.4), [5.0, 10.0, 20.0]);
        assert_eq!(
            latency_ticks(44000.0, 44000.0),
            [10000.0, 20000.0, 50000.0, 100000.0]
        );
        assert_eq!(latency_ticks(95.0, 180.0), [50.0, 100.0, 200.0]);
        assert_eq!(
            latency_ticks(20.0, 48000.0),
            [10.0, 100.0, 1000.0, 10000.0, 100000.0]
        );
        assert_eq!(latency_label(2000.0), "2 ms");
        assert_eq!(latency_label(500.0), "500 µs");
    }

    #[test]
    fn crowded_connection_counts_are_thinned() {
        let all: Vec<usize> = (1..=10).collect();
        let ticks = spaced(&all, 0.5, 20.0);
        assert_eq!(ticks[..3], [1.0, 2.0, 3.0]);
        assert!(ticks.len() < all.len(), "{ticks:?}");
        assert_eq!(spaced(&[1, 10, 100, 1000], 0.5, 2000.0).len(), 4);
    }

    #[test]
    fn the_rate_axis_starts_at_zero_with_round_steps() {
        assert_eq!(rate_ticks(23.0), [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]);
        assert_eq!(
            rate_ticks(100057.0),
            [0.0, 20000.0, 40000.0, 60000.0, 80000.0, 100000.0, 120000.0]
        );
        assert_eq!(rate_label(50000.0), "50k");
        assert_eq!(rate_label(2500.0), "2.5k");
    }
}
