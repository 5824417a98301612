//! The largest strongly connected component.
//!
//! An extract cut at its border leaves dead ends and one-way stubs from which no
//! facility can be reached (or that no one can reach): keeping only the largest
//! strongly connected component means every origin can reach every facility, so an
//! "unreachable" result means "no facility of that type", not "bad data". Kosaraju's
//! algorithm, iterative (a recursive one would overflow the stack on a country).

use crate::graph::Graph;

/// The component id of every node, and the number of components.
pub fn strongly_connected(g: &Graph) -> (Vec<u32>, u32) {
    let n = g.node_count();
    let rev = g.reversed();
    // Pass 1: finishing order of a depth-first search on the forward graph.
    let mut visited = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for s in 0..n as u32 {
        if visited[s as usize] {
            continue;
        }
        visited[s as usize] = true;
        stack.push((s, g.first_out[s as usize]));
        while let Some(top) = stack.last_mut() {
            let (v, next) = *top;
            if next < g.first_out[v as usize + 1] {
                top.1 += 1;
                let w = g.head[next as usize];
                if !visited[w as usize] {
                    visited[w as usize] = true;
                    stack.push((w, g.first_out[w as usize]));
                }
            } else {
                order.push(v);
                stack.pop();
            }
        }
    }
    // Pass 2: on the reversed graph, in reverse finishing order.
    let mut comp = vec![u32::MAX; n];
    let mut count = 0u32;
    let mut todo = Vec::new();
    for &s in order.iter().rev() {
        if comp[s as usize] != u32::MAX {
            continue;
        }
        comp[s as usize] = count;
        todo.push(s);
        while let Some(v) = todo.pop() {
            for a in &rev.arcs[rev.first_in[v as usize] as usize..rev.first_in[v as usize + 1] as usize] {
                if comp[a.tail as usize] == u32::MAX {
                    comp[a.tail as usize] = count;
                    todo.push(a.tail);
                }
            }
        }
        count += 1;
    }
    (comp, count)
}

/// The nodes of the largest strongly connected component, in increasing order.
pub fn largest_component(g: &Graph) -> Vec<u32> {
    let (comp, count) = strongly_connected(g);
    let mut size = vec![0usize; count as usize];
    for &c in &comp {
        size[c as usize] += 1;
    }
    let Some(best) = (0..count).max_by_key(|&c| (size[c as usize], std::cmp::Reverse(c))) else {
        return Vec::new();
    };
    (0..g.node_count() as u32).filter(|&v| comp[v as usize] == best).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;

    fn graph(n: usize, arcs: &[(u32, u32)]) -> Graph {
        let edges = arcs.iter().map(|&(from, to)| Edge { from, to, time_ms: 1, length_dm: 1 }).collect();
        Graph::from_edges(vec![0.0; n], vec![0.0; n], (0..n as i64).collect(), edges).unwrap()
    }

    #[test]
    fn one_way_stub_and_island_are_dropped() {
        // 0->1->2->0 is a one-way loop (strongly connected); 2->3 is a one-way stub
        // leaving it (3 can't come back); 4<->5 is an island.
        let g = graph(6, &[(0, 1), (1, 2), (2, 0), (2, 3), (4, 5), (5, 4)]);
        let (comp, count) = strongly_connected(&g);
        assert_eq!(count, 3);
        assert_eq!(comp[0], comp[1]);
        assert_eq!(comp[1], comp[2]);
        assert_ne!(comp[2], comp[3]);
        assert_eq!(comp[4], comp[5]);
        assert_eq!(largest_component(&g), vec![0, 1, 2]);
    }

    #[test]
    fn long_chain_does_not_overflow_the_stack() {
        let n = 300_000u32;
        let arcs: Vec<(u32, u32)> = (0..n - 1).flat_map(|i| [(i, i + 1), (i + 1, i)]).collect();
        assert_eq!(largest_component(&graph(n as usize, &arcs)).len(), n as usize);
    }
}
