//! The Benders master problem, solved by HiGHS: one `y_j` per site, one `θ_i` per
//! demand, the cardinality row `Σ y_j = p` and the cuts found so far (`cuts.rs`).
//! Its LP relaxation is solved again and again as cuts are added (HiGHS keeps the
//! basis between solves); its MIP is solved once the LP bound has converged.
//!
//! ```text
//!  min Σ_i θ_i   s.t.  Σ_j y_j = p,   θ_i + Σ_j a_ij · y_j ≥ r_i  (each cut),
//!                      y_j ∈ [0, 1] (LP) or {0, 1} (MIP),  θ_i ≥ 0
//! ```
//!
//! Costs are scaled so that an average `θ_i` is about 1, which keeps HiGHS's absolute
//! tolerances meaningful whatever the unit (weights × metres reach 1e10).

use std::time::Instant;

use highs::{Col, HighsModelStatus, HighsSolutionStatus, Model, RowProblem, Sense};

use crate::Error;
use crate::cuts::Cut;

/// The LP relaxation at the current cuts.
pub(crate) struct Relaxed {
    /// Its optimum: a lower bound of the problem's, whatever cuts are missing.
    pub value: f64,
    pub y: Vec<f64>,
    /// Per demand, in the costs' unit.
    pub theta: Vec<f64>,
    /// Per site, what moving `y_j` off its bound costs, in the costs' unit.
    pub reduced: Vec<f64>,
}

/// The MIP at the current cuts.
pub(crate) struct Integer {
    /// Its best solution, if it found one.
    pub open: Option<Vec<bool>>,
    /// That solution's value in the master (a lower estimate of its true cost).
    pub value: f64,
    /// Its `θ_i`, in the costs' unit.
    pub theta: Vec<f64>,
    /// Its proven lower bound: one of the problem's too.
    pub bound: f64,
    /// Whether HiGHS proved `value` optimal for the master.
    pub optimal: bool,
    /// Whether no solution is left with the sites' current bounds.
    pub infeasible: bool,
}

pub(crate) struct Master {
    p: usize,
    demand: usize,
    scale: f64,
    step: f64,
    /// Per site, its bounds (fixed open, excluded, or settled by reduced costs).
    bounds: Vec<(f64, f64)>,
    cuts: Vec<Cut>,
    threads: Option<usize>,
    /// The LP in HiGHS, with `cuts[..in_lp]` as rows, and its columns.
    lp: Option<(Model, Vec<Col>, Vec<Col>)>,
    in_lp: usize,
}

impl Master {
    /// `bounds`: per site, `(lower, upper)` among 0 and 1; `typical`: the size of an
    /// average demand's cost, for scaling.
    /// `step`: a gap below which the MIP may stop (just under 1 when every objective is
    /// whole, else 0).
    pub fn new(
        p: usize,
        demand: usize,
        bounds: Vec<(f64, f64)>,
        typical: f64,
        threads: Option<usize>,
        step: f64,
    ) -> Master {
        let scale = if typical > 0.0 && typical.is_finite() { 1.0 / typical } else { 1.0 };
        Master { p, demand, scale, step, bounds, cuts: Vec::new(), threads, lp: None, in_lp: 0 }
    }

    pub fn add(&mut self, cut: Cut) {
        self.cuts.push(cut);
    }

    pub fn cuts(&self) -> usize {
        self.cuts.len()
    }

    /// Settles site `j` open or closed (reduced-cost fixing).
    pub fn settle(&mut self, j: usize, open: bool) {
        let v = if open { 1.0 } else { 0.0 };
        self.bounds[j] = (v, v);
        if let Some((model, y, _)) = &mut self.lp {
            model.change_column_bounds(y[j], v..=v);
        }
    }

    pub fn bounds(&self) -> &[(f64, f64)] {
        &self.bounds
    }

    /// The problem with every cut so far, its sites continuous or integer.
    fn build(&self, bounds: &[(f64, f64)], integer: bool) -> (RowProblem, Vec<Col>, Vec<Col>) {
        let mut pb = RowProblem::default();
        let y: Vec<Col> = bounds
            .iter()
            .map(|&(lo, hi)| if integer { pb.add_integer_column(0.0, lo..=hi) } else { pb.add_column(0.0, lo..=hi) })
            .collect();
        let theta: Vec<Col> = (0..self.demand).map(|_| pb.add_column(1.0, 0.0..)).collect();
        let p = self.p as f64;
        pb.add_row(p..=p, y.iter().map(|&c| (c, 1.0)));
        for cut in &self.cuts {
            let (lo, row) = self.row(cut, &y, &theta);
            pb.add_row(lo.., row);
        }
        (pb, y, theta)
    }

    fn row(&self, cut: &Cut, y: &[Col], theta: &[Col]) -> (f64, Vec<(Col, f64)>) {
        let s = if cut.theta { self.scale } else { 1.0 };
        let mut row: Vec<(Col, f64)> = cut.sites.iter().map(|&(j, a)| (y[j as usize], a * s)).collect();
        if cut.theta {
            row.push((theta[cut.demand as usize], 1.0));
        }
        (cut.level * s, row)
    }

    /// Quiet, threads, the time left; `false` when none is.
    fn configure(&self, model: &mut Model, deadline: Option<Instant>) -> bool {
        model.make_quiet();
        if let Some(t) = self.threads {
            model.set_option("threads", t.max(1) as i32);
        }
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now()).as_secs_f64();
            if left <= 0.0 {
                return false;
            }
            model.set_option("time_limit", left);
        }
        true
    }

    /// Solves the LP relaxation with every cut added so far (warm, from the last basis);
    /// `None` when the time is up.
    pub fn relax(&mut self, deadline: Option<Instant>) -> Result<Option<Relaxed>, Error> {
        let (mut model, y, theta) = match self.lp.take() {
            Some((mut model, y, theta)) => {
                for k in self.in_lp..self.cuts.len() {
                    let (lo, row) = self.row(&self.cuts[k], &y, &theta);
                    model.add_row(lo.., row);
                }
                (model, y, theta)
            }
            None => {
                let (pb, y, theta) = self.build(&self.bounds, false);
                (pb.optimise(Sense::Minimise), y, theta)
            }
        };
        self.in_lp = self.cuts.len();
        if !self.configure(&mut model, deadline) {
            self.lp = Some((model, y, theta));
            return Ok(None);
        }
        let solved = model.try_solve().map_err(|s| Error::Solver(format!("{s:?}")))?;
        match solved.status() {
            HighsModelStatus::Optimal => {}
            HighsModelStatus::Infeasible => return Err(Error::NoFeasibleChoice(self.p)),
            HighsModelStatus::ReachedTimeLimit => {
                self.lp = Some((Model::from(solved), y, theta));
                return Ok(None);
            }
            other => return Err(Error::Solver(format!("{other:?}"))),
        }
        let value = solved.objective_value() / self.scale;
        let solution = solved.get_solution();
        let cols = solution.columns();
        let duals = solution.dual_columns();
        let n = y.len();
        let relaxed = Relaxed {
            value,
            y: cols[..n].iter().map(|v| v.clamp(0.0, 1.0)).collect(),
            theta: cols[n..].iter().map(|v| v / self.scale).collect(),
            reduced: duals[..n].iter().map(|v| v / self.scale).collect(),
        };
        self.lp = Some((Model::from(solved), y, theta));
        Ok(Some(relaxed))
    }

    /// Solves the MIP with every cut so far, from `start` (sites open, `costs_at_start`
    /// their true costs per demand) when it fits the sites' bounds; `None` when the
    /// time is up.
    pub fn integer(
        &self,
        start: &[bool],
        costs_at_start: &[f64],
        deadline: Option<Instant>,
    ) -> Result<Option<Integer>, Error> {
        self.mip(&self.bounds, start, costs_at_start, deadline)
    }

    /// The MIP with the sites outside `keep` closed (those fixed open stay open), from
    /// `start`, which must be within `keep`: a solution of the sites the LP uses, found
    /// in a fraction of the whole MIP's time. Its bound is not the problem's.
    pub fn within(
        &self,
        keep: &[bool],
        start: &[bool],
        costs_at_start: &[f64],
        deadline: Option<Instant>,
    ) -> Result<Option<Vec<bool>>, Error> {
        let bounds: Vec<(f64, f64)> = self
            .bounds
            .iter()
            .zip(keep)
            .map(|(&(lo, hi), &k)| if k || lo == 1.0 { (lo, hi) } else { (0.0, 0.0) })
            .collect();
        Ok(self.mip(&bounds, start, costs_at_start, deadline)?.and_then(|m| m.open))
    }

    fn mip(
        &self,
        bounds: &[(f64, f64)],
        start: &[bool],
        costs_at_start: &[f64],
        deadline: Option<Instant>,
    ) -> Result<Option<Integer>, Error> {
        let (pb, _, _) = self.build(bounds, true);
        let mut model = pb.optimise(Sense::Minimise);
        if !self.configure(&mut model, deadline) {
            return Ok(None);
        }
        model.set_option("mip_rel_gap", 1e-9);
        // HiGHS's sub-MIP heuristics at the root (RINS, RENS, root reduced cost) took 4 of
        // the 7 s of MCLP p = 20 on Nord + Pas-de-Calais, for a solution its branching
        // finds as soon; the p-median's master solves as fast without them.
        for heuristic in ["mip_heuristic_run_rins", "mip_heuristic_run_rens", "mip_heuristic_run_root_reduced_cost"] {
            model.set_option(heuristic, false);
        }
        model.set_option("mip_abs_gap", self.step * self.scale);
        let fits = start.iter().zip(bounds).all(|(&o, &(lo, hi))| (lo..=hi).contains(&f64::from(u8::from(o))));
        if fits {
            let cols: Vec<f64> = start
                .iter()
                .map(|&o| f64::from(u8::from(o)))
                .chain(costs_at_start.iter().map(|c| c * self.scale))
                .collect();
            let _ = model.try_set_solution(Some(&cols), None, None, None);
        }
        let solved = model.try_solve().map_err(|s| Error::Solver(format!("{s:?}")))?;
        let status = solved.status();
        if status == HighsModelStatus::Infeasible {
            let none = Integer {
                open: None,
                value: f64::INFINITY,
                theta: Vec::new(),
                bound: f64::INFINITY,
                optimal: true,
                infeasible: true,
            };
            return Ok(Some(none));
        }
        if !matches!(status, HighsModelStatus::Optimal | HighsModelStatus::ReachedTimeLimit) {
            return Err(Error::Solver(format!("{status:?}")));
        }
        let bound = solved.double_info_value(c"mip_dual_bound").unwrap_or(0.0) / self.scale;
        let has = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
        let n = self.bounds.len();
        let cols = if has { solved.get_solution().columns().to_vec() } else { Vec::new() };
        let open = has.then(|| cols[..n].iter().map(|&v| v > 0.5).collect());
        let theta = cols.get(n..).unwrap_or_default().iter().map(|v| v / self.scale).collect();
        let value = if has { solved.objective_value() / self.scale } else { f64::INFINITY };
        let optimal = status == HighsModelStatus::Optimal;
        Ok(Some(Integer { open, value, theta, bound, optimal, infeasible: false }))
    }
}
