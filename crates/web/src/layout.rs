//! A layered (Sugiyama-style) DAG layout for the graph view, in plain Rust so native unit tests cover it.
//!
//! Steps: a topological order (Kahn's, ties broken by index so ONNX order is kept; cycles broken at the
//! lowest-index waiting node, their edges drawn reversed), longest-path layering, one dummy node per layer that
//! a long edge crosses (so edges bend around nodes instead of through them), barycenter sweeps to reduce
//! crossings, then x coordinates pulled towards neighbours and pushed apart to the node widths. The output is
//! top-to-bottom, like Netron, and fully deterministic: the same input always gives the same picture.

/// Spacing of the layout, in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutConfig {
    /// Horizontal gap between neighbouring nodes of a layer.
    pub node_gap: f64,
    /// Vertical gap between layers.
    pub layer_gap: f64,
    /// Width a dummy node (an edge passing a layer) reserves.
    pub dummy_width: f64,
    /// Barycenter sweeps (each one down and one up).
    pub sweeps: usize,
    /// Margin around the drawing.
    pub margin: f64,
}

impl Default for LayoutConfig {
    fn default() -> Self {
        Self { node_gap: 28.0, layer_gap: 46.0, dummy_width: 12.0, sweeps: 8, margin: 24.0 }
    }
}

/// Where one node sits: its centre, size and layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeBox {
    /// Centre x.
    pub x: f64,
    /// Centre y.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Layer index (0 = top).
    pub layer: usize,
}

/// The laid-out graph: node boxes in input order, one polyline per input edge, and the drawing's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// One box per input node.
    pub nodes: Vec<NodeBox>,
    /// Per input edge, the points from the source's bottom to the target's top (empty for self-loops).
    pub edges: Vec<Vec<(f64, f64)>>,
    /// Drawing width including margins.
    pub width: f64,
    /// Drawing height including margins.
    pub height: f64,
}

/// Lays out `sizes.len()` nodes (width, height each) joined by `edges` (source, target). Edges naming a node
/// out of range are ignored (drawn as no points), so a caller's bug cannot panic the page.
pub fn layout(sizes: &[(f64, f64)], edges: &[(usize, usize)], cfg: &LayoutConfig) -> Layout {
    let n = sizes.len();
    let valid = |&(u, v): &(usize, usize)| u < n && v < n && u != v;
    let order = topo_order(n, edges.iter().copied().filter(valid));
    let mut rank = vec![0usize; n];
    for (i, &v) in order.iter().enumerate() {
        rank[v] = i;
    }
    // Every edge points forward in `order`; a backward one (a cycle) is flipped for layering.
    let forward = |(u, v): (usize, usize)| if rank[u] < rank[v] { (u, v) } else { (v, u) };
    let mut succ = vec![Vec::new(); n];
    for &e in edges.iter().filter(|e| valid(e)) {
        let (u, v) = forward(e);
        succ[u].push(v);
    }
    let mut layer = vec![0usize; n];
    for &u in &order {
        for &v in &succ[u] {
            layer[v] = layer[v].max(layer[u] + 1);
        }
    }

    // The extended graph: real nodes first, then one dummy per crossed layer of each long edge.
    let mut g = Extended::new(&layer);
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    for &e in edges {
        if !valid(&e) {
            chains.push(Vec::new());
            continue;
        }
        let (u, v) = forward(e);
        let mut chain = vec![u];
        for l in layer[u] + 1..layer[v] {
            chain.push(g.add_dummy(l));
        }
        chain.push(v);
        for w in chain.windows(2) {
            g.link(w[0], w[1]);
        }
        if (u, v) != e {
            chain.reverse();
        }
        chains.push(chain);
    }

    let layers = g.ordered_layers(cfg.sweeps);
    let width_of = |v: usize| if v < n { sizes[v].0 } else { cfg.dummy_width };
    let xs = g.assign_x(&layers, &width_of, cfg);

    // y: each layer as tall as its tallest node.
    let mut layer_h = vec![0.0f64; layers.len()];
    for v in 0..n {
        layer_h[layer[v]] = layer_h[layer[v]].max(sizes[v].1);
    }
    let mut layer_y = Vec::with_capacity(layers.len());
    let mut y = cfg.margin;
    for h in &layer_h {
        layer_y.push(y + h / 2.0);
        y += h + cfg.layer_gap;
    }
    let height = if layers.is_empty() { 2.0 * cfg.margin } else { y - cfg.layer_gap + cfg.margin };

    let min_left = (0..g.len()).map(|v| xs[v] - width_of(v) / 2.0).fold(f64::INFINITY, f64::min);
    let shift = if min_left.is_finite() { cfg.margin - min_left } else { 0.0 };
    let max_right = (0..g.len()).map(|v| xs[v] + shift + width_of(v) / 2.0).fold(0.0, f64::max);

    let nodes: Vec<NodeBox> = (0..n)
        .map(|v| NodeBox { x: xs[v] + shift, y: layer_y[layer[v]], w: sizes[v].0, h: sizes[v].1, layer: layer[v] })
        .collect();
    let edges = chains
        .iter()
        .map(|chain| {
            let (Some(&first), Some(&last)) = (chain.first(), chain.last()) else { return Vec::new() };
            chain
                .iter()
                .map(|&v| {
                    let y = layer_y[g.layer[v]];
                    let dy = if v >= n {
                        0.0
                    } else if v == first && g.layer[first] <= g.layer[last]
                        || v == last && g.layer[last] < g.layer[first]
                    {
                        sizes[v].1 / 2.0 // leaves from (or, reversed, enters at) the bottom
                    } else {
                        -sizes[v].1 / 2.0
                    };
                    (xs[v] + shift, y + dy)
                })
                .collect()
        })
        .collect();
    Layout { nodes, edges, width: max_right + cfg.margin, height }
}

/// Kahn's topological order, ties by index; when every waiting node has an unplaced predecessor (a cycle), the
/// lowest-index waiting node is placed next.
fn topo_order(n: usize, edges: impl Iterator<Item = (usize, usize)>) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    let mut succ = vec![Vec::new(); n];
    for (u, v) in edges {
        succ[u].push(v);
        indeg[v] += 1;
    }
    let mut placed = vec![false; n];
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> =
        (0..n).filter(|&v| indeg[v] == 0).map(std::cmp::Reverse).collect();
    let mut order = Vec::with_capacity(n);
    let mut scan = 0;
    while order.len() < n {
        let v = match ready.pop() {
            Some(std::cmp::Reverse(v)) if !placed[v] => v,
            Some(_) => continue,
            None => {
                while placed[scan] {
                    scan += 1;
                }
                scan
            }
        };
        placed[v] = true;
        order.push(v);
        for &w in &succ[v] {
            indeg[w] = indeg[w].saturating_sub(1);
            if indeg[w] == 0 && !placed[w] {
                ready.push(std::cmp::Reverse(w));
            }
        }
    }
    order
}

/// The graph with dummy nodes: every link joins adjacent layers.
struct Extended {
    layer: Vec<usize>,
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
}

impl Extended {
    fn new(layer: &[usize]) -> Self {
        Self { layer: layer.to_vec(), up: vec![Vec::new(); layer.len()], down: vec![Vec::new(); layer.len()] }
    }

    fn len(&self) -> usize {
        self.layer.len()
    }

    fn add_dummy(&mut self, layer: usize) -> usize {
        self.layer.push(layer);
        self.up.push(Vec::new());
        self.down.push(Vec::new());
        self.layer.len() - 1
    }

    fn link(&mut self, a: usize, b: usize) {
        self.down[a].push(b);
        self.up[b].push(a);
    }

    /// Layers in their final left-to-right order after barycenter sweeps.
    fn ordered_layers(&self, sweeps: usize) -> Vec<Vec<usize>> {
        let depth = self.layer.iter().max().map_or(0, |m| m + 1);
        let mut layers = vec![Vec::new(); depth];
        for v in 0..self.len() {
            layers[self.layer[v]].push(v);
        }
        let mut pos = vec![0.0f64; self.len()];
        let set_pos = |layers: &[Vec<usize>], pos: &mut [f64]| {
            for l in layers {
                for (i, &v) in l.iter().enumerate() {
                    pos[v] = i as f64;
                }
            }
        };
        set_pos(&layers, &mut pos);
        for _ in 0..sweeps {
            for layer in layers.iter_mut().skip(1) {
                self.reorder(layer, &self.up, &mut pos);
            }
            for layer in layers.iter_mut().rev().skip(1) {
                self.reorder(layer, &self.down, &mut pos);
            }
        }
        layers
    }

    /// Sorts one layer by the mean position of each node's neighbours in `adj` (nodes without any keep their
    /// place), stably, then refreshes the positions.
    fn reorder(&self, layer: &mut [usize], adj: &[Vec<usize>], pos: &mut [f64]) {
        let mut keyed: Vec<(f64, usize)> = layer
            .iter()
            .map(|&v| {
                let nb = &adj[v];
                let key =
                    if nb.is_empty() { pos[v] } else { nb.iter().map(|&w| pos[w]).sum::<f64>() / nb.len() as f64 };
                (key, v)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (i, (_, v)) in keyed.into_iter().enumerate() {
            layer[i] = v;
            pos[v] = i as f64;
        }
    }

    /// x centres: packed left to right, then a few rounds pulling each node to its neighbours' mean and packing
    /// the layer again around those wishes.
    fn assign_x(&self, layers: &[Vec<usize>], width: &dyn Fn(usize) -> f64, cfg: &LayoutConfig) -> Vec<f64> {
        let mut x = vec![0.0f64; self.len()];
        for l in layers {
            let mut cursor = 0.0;
            for &v in l {
                x[v] = cursor + width(v) / 2.0;
                cursor += width(v) + cfg.node_gap;
            }
        }
        for round in 0..6 {
            let down = round % 2 == 0;
            let range: Vec<usize> = if down { (1..layers.len()).collect() } else { (0..layers.len()).rev().collect() };
            for l in range {
                let wish: Vec<f64> = layers[l]
                    .iter()
                    .map(|&v| {
                        let nb: Vec<usize> = self.up[v].iter().chain(&self.down[v]).copied().collect();
                        if nb.is_empty() { x[v] } else { nb.iter().map(|&w| x[w]).sum::<f64>() / nb.len() as f64 }
                    })
                    .collect();
                pack(&layers[l], &wish, width, cfg.node_gap, &mut x);
            }
        }
        x
    }
}

/// Places a layer's nodes as close to their wished x as the order and widths allow: a left-to-right pass
/// keeping the minimum separation, then the whole layer shifted so the mean displacement is zero.
fn pack(layer: &[usize], wish: &[f64], width: &dyn Fn(usize) -> f64, gap: f64, x: &mut [f64]) {
    let mut prev_right = f64::NEG_INFINITY;
    let mut drift = 0.0;
    for (i, &v) in layer.iter().enumerate() {
        let half = width(v) / 2.0;
        let xi = wish[i].max(prev_right + gap + half);
        drift += xi - wish[i];
        x[v] = xi;
        prev_right = xi + half;
    }
    if !layer.is_empty() {
        let d = drift / layer.len() as f64;
        for &v in layer {
            x[v] -= d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Dag = (Vec<(f64, f64)>, Vec<(usize, usize)>);

    /// A deterministic pseudo-random DAG: edges go from lower to higher index within `reach`, like the
    /// mostly-local wiring of a neural network.
    fn random_dag(n: usize, extra: usize, reach: usize, seed: u64) -> Dag {
        let mut s = seed;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let sizes = (0..n).map(|i| (60.0 + (i % 5) as f64 * 20.0, 30.0)).collect();
        let mut edges: Vec<(usize, usize)> = (1..n).map(|v| (v - 1 - (next() as usize % v.min(reach)), v)).collect();
        for _ in 0..extra {
            let v = 1 + next() as usize % (n - 1);
            edges.push((v - 1 - (next() as usize % v.min(reach)), v));
        }
        (sizes, edges)
    }

    fn check(sizes: &[(f64, f64)], edges: &[(usize, usize)], l: &Layout, cfg: &LayoutConfig) {
        for &(u, v) in edges {
            assert!(l.nodes[u].layer < l.nodes[v].layer, "edge {u}->{v} must go down");
            assert!(l.nodes[u].y < l.nodes[v].y);
        }
        let mut by_layer: std::collections::BTreeMap<usize, Vec<&NodeBox>> = Default::default();
        for b in &l.nodes {
            by_layer.entry(b.layer).or_default().push(b);
        }
        for boxes in by_layer.values_mut() {
            boxes.sort_by(|a, b| a.x.total_cmp(&b.x));
            for w in boxes.windows(2) {
                let gap = (w[1].x - w[1].w / 2.0) - (w[0].x + w[0].w / 2.0);
                assert!(gap >= cfg.node_gap - 1e-6, "overlap in a layer: gap {gap}");
            }
        }
        for b in &l.nodes {
            assert!(b.x - b.w / 2.0 >= 0.0 && b.x + b.w / 2.0 <= l.width + 1e-6);
            assert!(b.y + b.h / 2.0 <= l.height + 1e-6);
        }
        assert_eq!(l.nodes.len(), sizes.len());
    }

    #[test]
    fn small_residual_graph() {
        // conv1 -> relu1 -> conv2 -> add -> relu; input skip edge conv1.in -> add modelled as 0 -> 3.
        let sizes = vec![(80.0, 30.0); 5];
        let edges = vec![(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)];
        let cfg = LayoutConfig::default();
        let l = layout(&sizes, &edges, &cfg);
        check(&sizes, &edges, &l, &cfg);
        assert_eq!(l.nodes.iter().map(|b| b.layer).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        // The long edge 0 -> 3 passes two layers through two dummies: 4 points.
        assert_eq!(l.edges[3].len(), 4);
        assert_eq!(l.edges[0].len(), 2);
        // It starts at node 0's bottom and ends at node 3's top.
        assert_eq!(l.edges[3][0].1, l.nodes[0].y + 15.0);
        assert_eq!(l.edges[3][3].1, l.nodes[3].y - 15.0);
    }

    #[test]
    fn deterministic_and_no_overlaps() {
        let (sizes, edges) = random_dag(200, 150, 12, 7);
        let cfg = LayoutConfig::default();
        let a = layout(&sizes, &edges, &cfg);
        let b = layout(&sizes, &edges, &cfg);
        assert_eq!(a, b);
        check(&sizes, &edges, &a, &cfg);
    }

    #[test]
    fn cycles_bad_edges_and_empty_do_not_panic() {
        let cfg = LayoutConfig::default();
        let empty = layout(&[], &[], &cfg);
        assert!(empty.nodes.is_empty() && empty.edges.is_empty());
        let sizes = vec![(40.0, 20.0); 3];
        let l = layout(&sizes, &[(0, 1), (1, 2), (2, 0), (1, 1), (5, 0)], &cfg);
        assert_eq!(l.edges.len(), 5);
        assert!(l.edges[3].is_empty() && l.edges[4].is_empty());
        // The back edge 2 -> 0 is drawn, reversed, from 2 to 0.
        let back = &l.edges[2];
        assert_eq!(back.first().map(|p| p.0), Some(l.nodes[2].x));
        assert_eq!(back.last().map(|p| p.0), Some(l.nodes[0].x));
    }

    #[test]
    fn thousand_nodes_time() {
        let (sizes, edges) = random_dag(1000, 600, 30, 42);
        let cfg = LayoutConfig::default();
        let t = std::time::Instant::now();
        let l = layout(&sizes, &edges, &cfg);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let dummies: usize = l.edges.iter().map(|e| e.len().saturating_sub(2)).sum();
        println!("layout of a 1000-node, {}-edge random DAG ({dummies} dummies): {ms:.1} ms", edges.len());
        check(&sizes, &edges, &l, &cfg);
        // Generous even for an unoptimised test build on a shared machine.
        assert!(ms < 5000.0, "1000-node layout took {ms} ms");
    }
}
