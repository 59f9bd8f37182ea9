//! The bench's picture: msgs/s and p99 latency against the number of connections, one line
//! per model, side by side in one SVG (plotters, SVG backend only).
//!
//! Both x axes are logarithmic, as the connection counts are (1, 10, 100, 1000); so is the
//! latency axis, which spans microseconds to seconds between the fastest and the slowest model.

use plotters::prelude::*;

use super::report::Row;
use crate::bench::words::Bench;

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 484;

/// Draws the rows into an SVG document.
pub fn svg(rows: &[Row]) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (charts, note) = root.split_vertically(HEIGHT - 24);
        note.draw_text(
            &Bench::PlotWaitingNote.to_string(),
            &("sans-serif", 14).into_text_style(&note),
            (12, 4),
        )
        .map_err(|e| e.to_string())?;
        let (left, right) = charts.split_horizontally(WIDTH / 2);
        draw(&left, rows, Panel::Throughput).map_err(|e| e.to_string())?;
        draw(&right, rows, Panel::Latency).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    Throughput,
    Latency,
}

/// The models in the order they first appear.
fn models(rows: &[Row]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for row in rows {
        if !names.contains(&row.model.as_str()) {
            names.push(&row.model);
        }
    }
    names
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[Row],
    panel: Panel,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let value = |row: &Row| match panel {
        Panel::Throughput => row.msgs_per_s,
        Panel::Latency => row.p99_us,
    };
    // A point with no reply at all has no latency (and no place on a log axis): it is left out.
    let shown = |row: &Row| panel == Panel::Throughput || row.p99_us > 0.0;
    let conns = rows.iter().map(|r| r.conns as f64);
    let x_lo = conns.clone().fold(f64::INFINITY, f64::min).max(1.0);
    let x_hi = conns.fold(1.0, f64::max).max(x_lo * 10.0);
    let y_hi = rows.iter().map(value).fold(1.0, f64::max) * 1.15;
    let y_lo = rows
        .iter()
        .filter(|r| shown(r))
        .map(value)
        .fold(f64::INFINITY, f64::min)
        .clamp(1.0, y_hi)
        / 1.5;
    let (caption, y_desc) = match panel {
        Panel::Throughput => (Bench::ChartThroughput, Bench::AxisMsgs),
        Panel::Latency => (Bench::ChartLatency, Bench::AxisP99),
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption.to_string(), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    let x_range = (x_lo / 1.5..x_hi * 1.5).log_scale();
    let x_desc = Bench::AxisConnections.to_string();
    let names = models(rows);
    macro_rules! lines {
        ($chart:ident) => {
            $chart
                .configure_mesh()
                .x_desc(x_desc.as_str())
                .y_desc(y_desc.to_string())
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .draw()?;
            for (i, name) in names.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                let mine: Vec<&Row> = rows
                    .iter()
                    .filter(|r| r.model == *name && shown(r))
                    .collect();
                let points: Vec<(f64, f64)> =
                    mine.iter().map(|r| (r.conns as f64, value(r))).collect();
                $chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                    .label(*name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
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
            $chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        };
    }
    match panel {
        Panel::Throughput => {
            let mut chart = builder.build_cartesian_2d(x_range, 0.0..y_hi)?;
            lines!(chart);
        }
        Panel::Latency => {
            let mut chart = builder.build_cartesian_2d(x_range, (y_lo..y_hi).log_scale())?;
            lines!(chart);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_is_named_in_the_svg() {
        let rows: Vec<Row> = [
            ("iterative", 1, 900.0),
            ("iterative", 10, 0.0),
            ("mio", 1, 800.0),
        ]
        .iter()
        .map(|&(model, conns, p99)| Row {
            model: model.into(),
            conns,
            msgs_per_s: 1000.0,
            p99_us: p99,
            ..Row::default()
        })
        .collect();
        let svg = svg(&rows).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        // plotters writes each text on a line of its own inside its <text> element.
        assert!(svg.contains("\niterative\n</text>") && svg.contains("\nmio\n</text>"));
    }
}
