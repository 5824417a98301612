//! The rows of the access tables, header first, as cells for
//! `echelle_report::csv::Writer` (which quotes and guards them): the nearest
//! facilities of every origin (`access nearest`) and the diagnostics per territory
//! (`access diagnose`).

use echelle_report::table::Cell;

use crate::access::AccessRun;
use crate::origin_kind::Unit;
use crate::territory::TerritoryAccess;

/// The header of `access nearest`'s CSV; with `within` (minutes), a last column
/// counts the facilities within that time.
pub fn nearest_header(within_min: Option<f64>) -> Vec<String> {
    let mut h: Vec<String> = [
        "origin",
        "origin_name",
        "origin_lon",
        "origin_lat",
        "origin_weight",
        "type",
        "rank",
        "facility",
        "facility_name",
        "time_min",
        "distance_km",
        "origin_snap_m",
        "facility_snap_m",
        "mode",
    ]
    .map(str::to_string)
    .to_vec();
    if let Some(m) = within_min {
        h.push(format!("within_{m}_min"));
    }
    h
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn opt_text(s: Option<&str>) -> Cell {
    s.map_or(Cell::Empty, text)
}

fn rounded(x: f64, decimals: i32) -> Cell {
    let m = 10f64.powi(decimals);
    // + 0.0: no "-0" for a value rounded to zero.
    Cell::Number((x * m).round() / m + 0.0)
}

/// One row per type, origin and rank (nearest first); an origin left out or that
/// reaches nothing has one row saying so in the `mode` column.
pub fn nearest_rows(run: &AccessRun) -> impl Iterator<Item = Vec<Cell>> + '_ {
    let mode = if run.straight_line { "straight-line" } else { "network" };
    run.types.iter().flat_map(move |t| {
        run.origins.iter().enumerate().flat_map(move |(o, origin)| {
            let p = &origin.point;
            let head = || {
                vec![
                    text(&p.id),
                    opt_text(p.name.as_deref()),
                    rounded(p.lon, 6),
                    rounded(p.lat, 6),
                    p.weight.map_or(Cell::Empty, Cell::Number),
                    text(&t.kind),
                ]
            };
            let count = t.within.as_ref().map(|c| Cell::Number(f64::from(c[o])));
            let finish = |mut row: Vec<Cell>| {
                row.extend(count.clone());
                row
            };
            let mut rows = Vec::new();
            if let Some(why) = &origin.excluded {
                let mut row = head();
                row.extend(std::iter::repeat_n(Cell::Empty, 7));
                row.push(Cell::Text(format!("excluded: {why}")));
                rows.push(finish(row));
            } else if t.nearest[o].is_empty() {
                let mut row = head();
                row.extend(std::iter::repeat_n(Cell::Empty, 5));
                row.push(rounded(origin.snap_m.unwrap_or(0.0), 0));
                row.push(Cell::Empty);
                row.push(text("unreachable"));
                rows.push(finish(row));
            } else {
                for (rank, r) in t.nearest[o].iter().enumerate() {
                    let (f, fsnap) = &t.facilities[r.facility as usize];
                    let mut row = head();
                    row.extend([
                        Cell::Number((rank + 1) as f64),
                        text(&f.id),
                        opt_text(f.name.as_deref()),
                        rounded(r.time_s / 60.0, 2),
                        rounded(r.distance_m / 1000.0, 3),
                        rounded(origin.snap_m.unwrap_or(0.0), 0),
                        rounded(*fsnap, 0),
                        text(mode),
                    ]);
                    rows.push(finish(row));
                }
            }
            rows
        })
    })
}

/// The header of the diagnostics per territory, in French (table and CSV).
pub fn diagnose_header(unit: Unit, thresholds_min: &[f64]) -> Vec<String> {
    let mut h: Vec<String> = vec![
        "territoire".into(),
        "équipement".into(),
        unit.label().into(),
        "population".into(),
        "moyenne (min)".into(),
        "médiane (min)".into(),
    ];
    h.extend(thresholds_min.iter().map(|t| format!("> {t} min (%)")));
    h.push("sans accès".into());
    h.push(unit.left_out_label().into());
    h.push("population écartée".into());
    h
}

/// One row per territory and type or basket, numbers as numbers (shares in %).
pub fn diagnose_row(row: &TerritoryAccess) -> Vec<Cell> {
    let opt = |x: Option<f64>| x.map_or(Cell::Empty, |v| rounded(v, 2));
    let mut cells = vec![
        text(&row.described),
        text(&row.what),
        Cell::Number(row.used() as f64),
        rounded(row.population, 0),
        opt(row.mean_min),
        opt(row.median_min),
    ];
    cells.extend(row.beyond.iter().map(|b| rounded(b.share * 100.0, 2)));
    cells.push(rounded(row.unreached_population, 0));
    cells.push(Cell::Number(row.left_out() as f64));
    cells.push(Cell::Number(row.population_left_out as f64));
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Query, by_type, straight_line};
    use crate::points::Point;
    use crate::straight::StraightLine;
    use crate::territory::Beyond;

    fn pt(id: &str, name: &str, lon: f64) -> Point {
        Point { id: id.into(), kind: "doc".into(), name: Some(name.into()), lon, lat: 50.0, weight: Some(3.0) }
    }

    #[test]
    fn nearest_rows_have_the_header_s_width() {
        let run = straight_line(
            StraightLine::new(1.3, 40.0).unwrap(),
            vec![pt("o", "=A, \"b\"", -1.5)],
            by_type(vec![pt("f1", "x", -1.5), pt("f2", "y", -1.4)]),
            Query { k: 2, within_s: Some(600.0), max_snap_m: 0.0 },
        );
        let rows: Vec<_> = nearest_rows(&run).collect();
        assert_eq!(rows.len(), 2);
        let width = nearest_header(Some(10.0)).len();
        assert!(rows.iter().all(|r| r.len() == width));
        assert_eq!(rows[0][1], Cell::Text("=A, \"b\"".into()));
        assert_eq!(rows[0][2], Cell::Number(-1.5));
        assert_eq!(rows[1][6], Cell::Number(2.0));
        assert_eq!(rows[0][13], Cell::Text("straight-line".into()));
        assert_eq!(rows[0][14], Cell::Number(1.0));
    }

    #[test]
    fn diagnose_rows_have_the_header_s_width() {
        let row = TerritoryAccess {
            territory: "per:x".into(),
            name: Some("x".into()),
            described: "per:x (x)".into(),
            what: "doc".into(),
            communes: Some(2),
            communes_left_out: Some(1),
            iris: None,
            iris_left_out: None,
            population: 10.0,
            mean_min: Some(5.4321),
            median_min: None,
            beyond: vec![Beyond { threshold_min: 7.0, share: 0.25 }, Beyond { threshold_min: 20.0, share: 0.0 }],
            unreached_population: 0.0,
            population_left_out: 7,
        };
        let cells = diagnose_row(&row);
        let header = diagnose_header(Unit::Communes, &[7.0, 20.0]);
        assert_eq!(cells.len(), header.len());
        assert_eq!(header[6], "> 7 min (%)");
        assert_eq!((header[9].as_str(), header[10].as_str()), ("communes écartées", "population écartée"));
        assert_eq!(
            (&cells[2], &cells[4], &cells[5], &cells[6]),
            (&Cell::Number(2.0), &Cell::Number(5.43), &Cell::Empty, &Cell::Number(25.0))
        );
        assert_eq!((&cells[9], &cells[10]), (&Cell::Number(1.0), &Cell::Number(7.0)));
    }
}
