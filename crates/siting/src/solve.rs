//! The engine: `p` sites, each demand served by its cheapest open site (or at its
//! fallback cost), solved by branch and bound on the sites with Lagrangian bounds and
//! swap-search upper bounds. Exact when the tree is exhausted; otherwise the gap
//! between the best solution and the smallest bound of the nodes left is proven.

use std::time::{Duration, Instant};

use crate::Error;
use crate::relaxation::{Site, bound};
use crate::search::{local_search, objective};

/// The problem the engine solves, in raw indices.
#[derive(Debug, Clone)]
pub(crate) struct Costs {
    /// Per demand, `(site, cost)` cheapest first.
    pub rows: Vec<Vec<(u32, f64)>>,
    /// Per demand, the cost when no listed site is open (infinite: must be served).
    pub fallback: Vec<f64>,
    pub candidates: usize,
    /// Open in every solution.
    pub fixed: Vec<u32>,
    /// Never opened.
    pub excluded: Vec<u32>,
}

impl Costs {
    #[cfg(test)]
    pub fn from_fn(demand: usize, candidates: usize, cost: impl Fn(usize, usize) -> f64, fallback: f64) -> Costs {
        let rows = (0..demand)
            .map(|i| {
                let mut r: Vec<(u32, f64)> = (0..candidates).map(|j| (j as u32, cost(i, j))).collect();
                r.sort_by(|a, b| a.1.total_cmp(&b.1));
                r
            })
            .collect();
        Costs { rows, fallback: vec![fallback; demand], candidates, fixed: vec![], excluded: vec![] }
    }
}

/// How long to search.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Stop after this long with the gap reached (`None`: until proven).
    pub time: Option<Duration>,
    /// `false`: the heuristic mode, the best solution found and the root's bound.
    pub exact: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { time: Some(Duration::from_secs(600)), exact: true }
    }
}

/// Where a search stands, reported as it goes.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The best objective found.
    pub upper: f64,
    /// The proven lower bound.
    pub lower: f64,
    /// Nodes of the tree explored.
    pub nodes: usize,
}

/// The sites chosen and what is proven of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Sites open (the fixed ones included), ascending.
    pub open: Vec<u32>,
    /// Their objective (minimised).
    pub objective: f64,
    /// A proven lower bound of the optimum.
    pub bound: f64,
    /// Whether `objective` is proven optimal (the tree was exhausted).
    pub proven: bool,
    /// Nodes of the tree explored.
    pub nodes: usize,
    /// Wall time, s.
    pub seconds: f64,
}

impl Solution {
    /// `(objective − bound) / objective`, 0 when proven.
    pub fn gap(&self) -> f64 {
        if self.proven || self.objective <= 0.0 {
            return 0.0;
        }
        ((self.objective - self.bound) / self.objective).max(0.0)
    }
}

struct Node {
    sites: Vec<Site>,
    lambda: Vec<f64>,
    /// The parent's bound: a bound of this node too.
    parent: f64,
}

/// Subgradient iterations at the root and at the other nodes.
const ROOT_ITERATIONS: usize = 1500;
const NODE_ITERATIONS: usize = 120;

pub(crate) fn solve_costs(
    costs: &Costs,
    p: usize,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Solution, Error> {
    let started = Instant::now();
    let n = costs.candidates;
    let mut allowed = vec![true; n];
    for &j in &costs.excluded {
        allowed[j as usize] = false;
    }
    let openable = allowed.iter().filter(|&&a| a).count();
    let mut fixed = costs.fixed.clone();
    fixed.sort_unstable();
    fixed.dedup();
    if p == 0 {
        return Err(Error::NoSite);
    }
    if p > openable {
        return Err(Error::TooManySites { p, candidates: openable });
    }
    if p < fixed.len() {
        return Err(Error::FewerThanFixed { p, fixed: fixed.len() });
    }
    let mut root = vec![Site::Free; n];
    let mut start = vec![false; n];
    for j in 0..n {
        if !allowed[j] {
            root[j] = Site::Closed;
        }
    }
    for &j in &fixed {
        root[j as usize] = Site::Open;
        start[j as usize] = true;
    }
    let (mut best, mut upper) = local_search(costs, &allowed, &start, p);
    let mut nodes = 0;
    let mut stack = vec![Node { sites: root, lambda: initial_multipliers(costs, &best), parent: f64::NEG_INFINITY }];
    let mut lower_root = f64::NEG_INFINITY;
    let out_of_time = |started: &Instant| limits.time.is_some_and(|t| started.elapsed() >= t);
    while let Some(node) = stack.pop() {
        let eps = 1e-9 * upper.abs().max(1.0);
        if node.parent >= upper - eps {
            continue;
        }
        if nodes > 0 && (!limits.exact || out_of_time(&started)) {
            stack.push(node);
            break;
        }
        nodes += 1;
        let iterations = if nodes == 1 { ROOT_ITERATIONS } else { NODE_ITERATIONS };
        let mut found: Option<(Vec<bool>, f64)> = None;
        let mut primal = |open: &[bool]| {
            let value = objective(costs, open);
            if value < found.as_ref().map_or(upper, |f| f.1) {
                found = Some(local_search(costs, &allowed, open, p));
            }
            found.as_ref().map_or(value, |f| f.1.min(value))
        };
        let Some(b) = bound(costs, &node.sites, p, &node.lambda, upper, iterations, &mut primal) else { continue };
        if let Some((open, value)) = found
            && value < upper
        {
            best = open;
            upper = value;
        }
        let value = b.value.max(node.parent);
        if nodes == 1 {
            lower_root = value;
        }
        progress(Progress { upper, lower: lower_of(&stack, value.min(upper)), nodes });
        let eps = 1e-9 * upper.abs().max(1.0);
        if value >= upper - eps {
            continue;
        }
        // Sites the bound settles: opening (closing) them would cost more than the best.
        let mut sites = node.sites.clone();
        let free: Vec<usize> = (0..n).filter(|&j| sites[j] == Site::Free).collect();
        let chosen_free: Vec<usize> = free.iter().copied().filter(|&j| b.open[j]).collect();
        let last_in = chosen_free.iter().map(|&j| b.scores[j]).fold(f64::NEG_INFINITY, f64::max);
        let first_out = free.iter().filter(|&&j| !b.open[j]).map(|&j| b.scores[j]).fold(f64::INFINITY, f64::min);
        for &j in &free {
            if b.open[j] {
                if value - b.scores[j] + first_out >= upper - eps {
                    sites[j] = Site::Open;
                }
            } else if !chosen_free.is_empty() && value - last_in + b.scores[j] >= upper - eps {
                sites[j] = Site::Closed;
            }
        }
        // Branch on the free site of the relaxation's solution with the best score.
        let Some(&j) = chosen_free
            .iter()
            .filter(|&&j| sites[j] == Site::Free)
            .min_by(|&&a, &&b2| b.scores[a].total_cmp(&b.scores[b2]))
        else {
            // Every site settled: the node's sites are its only solution.
            if sites.iter().filter(|&&s| s == Site::Open).count() == p {
                let open: Vec<bool> = sites.iter().map(|&s| s == Site::Open).collect();
                let v = objective(costs, &open);
                if v < upper {
                    upper = v;
                    best = open;
                }
            } else if sites != node.sites {
                stack.push(Node { sites, lambda: b.lambda, parent: value });
            }
            continue;
        };
        let mut closed = sites.clone();
        closed[j] = Site::Closed;
        let mut opened = sites;
        opened[j] = Site::Open;
        stack.push(Node { sites: closed, lambda: b.lambda.clone(), parent: value });
        stack.push(Node { sites: opened, lambda: b.lambda, parent: value });
    }
    let proven = stack.is_empty();
    let lower = if proven { upper } else { lower_of(&stack, upper).max(lower_root.min(upper)) };
    let open: Vec<u32> = (0..n).filter(|&j| best[j]).map(|j| j as u32).collect();
    Ok(Solution { open, objective: upper, bound: lower, proven, nodes, seconds: started.elapsed().as_secs_f64() })
}

/// The smallest bound among the nodes left and `current`.
fn lower_of(stack: &[Node], current: f64) -> f64 {
    stack.iter().map(|n| n.parent).fold(current, f64::min)
}

/// Each demand's cost in the first solution (Beasley's start), its fallback when finite
/// and nothing serves it cheaper.
fn initial_multipliers(costs: &Costs, open: &[bool]) -> Vec<f64> {
    costs
        .rows
        .iter()
        .zip(&costs.fallback)
        .map(|(row, &f)| row.iter().find(|&&(j, _)| open[j as usize]).map_or(f, |&(_, c)| c.min(f)))
        .map(|c| if c.is_finite() { c } else { 0.0 })
        .collect()
}
