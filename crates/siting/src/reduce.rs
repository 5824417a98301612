//! Exact reductions of covering instances (every cost 0 within reach, the fallback
//! otherwise), the classic ones of the maximal covering literature: demand points
//! covered by the same sites are one point with their weights added, and a site whose
//! covered demand another site covers too never needs to open. The optimum is the same;
//! the master is smaller and its LP less fractional.

use std::collections::HashMap;

use crate::solve::Costs;

/// Merges demand points covered by the same sites; drops those that weigh nothing.
pub(crate) fn merge_demand(costs: Costs) -> Costs {
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    let (mut rows, mut fallback): (Vec<Vec<(u32, f64)>>, Vec<f64>) = (Vec::new(), Vec::new());
    for (row, f) in costs.rows.into_iter().zip(costs.fallback) {
        if f <= 0.0 {
            continue;
        }
        let mut key: Vec<u32> = row.iter().map(|x| x.0).collect();
        key.sort_unstable();
        match index.get(&key) {
            Some(&k) => fallback[k] += f,
            None => {
                index.insert(key, rows.len());
                rows.push(row);
                fallback.push(f);
            }
        }
    }
    Costs { rows, fallback, ..costs }
}

/// Excludes the sites whose covered demand another site covers (a strict superset, or
/// the same set and a smaller index), keeping at least `p` sites that may open.
pub(crate) fn exclude_dominated(costs: &mut Costs, p: usize) {
    let n = costs.candidates;
    let (mut open_to, fixed) = costs.masks();
    let mut cover: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, row) in costs.rows.iter().enumerate() {
        for &(j, _) in row {
            cover[j as usize].push(i as u32);
        }
    }
    let mut openable = open_to.iter().filter(|&&o| o).count();
    let mut count = vec![0u32; n];
    let mut touched: Vec<usize> = Vec::new();
    for j in 0..n {
        if openable <= p {
            break;
        }
        if !open_to[j] || fixed[j] {
            continue;
        }
        for &i in &cover[j] {
            for &(k, _) in &costs.rows[i as usize] {
                let k = k as usize;
                if count[k] == 0 {
                    touched.push(k);
                }
                count[k] += 1;
            }
        }
        let size = cover[j].len();
        let dominated = if size == 0 {
            (0..n).any(|k| k != j && open_to[k] && !cover[k].is_empty())
        } else {
            touched
                .iter()
                .any(|&k| k != j && open_to[k] && count[k] as usize == size && (cover[k].len() > size || k < j))
        };
        for k in touched.drain(..) {
            count[k] = 0;
        }
        if dominated {
            open_to[j] = false;
            openable -= 1;
            costs.excluded.push(j as u32);
        }
    }
    let excluded = &open_to;
    for row in &mut costs.rows {
        row.retain(|&(j, _)| excluded[j as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costs(rows: Vec<Vec<u32>>, weights: Vec<f64>, candidates: usize) -> Costs {
        Costs {
            rows: rows.into_iter().map(|r| r.into_iter().map(|j| (j, 0.0)).collect()).collect(),
            fallback: weights,
            candidates,
            fixed: vec![],
            excluded: vec![],
            capacity: None,
            hint: vec![],
        }
    }

    #[test]
    fn demand_covered_alike_is_merged() {
        let c = merge_demand(costs(vec![vec![0, 1], vec![1, 0], vec![2], vec![0]], vec![1.0, 2.0, 3.0, 0.0], 3));
        assert_eq!(c.rows.len(), 2);
        assert_eq!(c.fallback, vec![3.0, 3.0]);
    }

    #[test]
    fn a_site_covering_less_than_another_is_excluded() {
        // Site 0 covers {0}, site 1 covers {0, 1}, site 2 covers {1}, site 3 nothing.
        let mut c = costs(vec![vec![0, 1], vec![1, 2]], vec![1.0, 1.0], 4);
        exclude_dominated(&mut c, 1);
        let mut ex = c.excluded.clone();
        ex.sort_unstable();
        assert_eq!(ex, vec![0, 2, 3]);
        assert_eq!(c.rows, vec![vec![(1, 0.0)], vec![(1, 0.0)]]);
        // Never below p sites that may open.
        let mut c = costs(vec![vec![0, 1], vec![1, 2]], vec![1.0, 1.0], 4);
        exclude_dominated(&mut c, 3);
        assert_eq!(c.excluded.len(), 1);
    }
}
