//! Einsum (opset 12+): any equation numpy's `einsum` accepts for float32 operands — explicit (`->`) or implicit
//! output, `...` broadcast dims, repeated labels within an operand (diagonals) and summed labels.
//!
//! The kernel is the definition itself: for every output position, the sum over the summed labels of the product
//! of the operands. Einsum is rare in the models the playground targets, so clarity wins over speed; the work is
//! checked against the run's cost budget first.

use super::{Attributes, GraphError, Tensor, budget, checked, element_count};
use ndarray::{ArrayD, IxDyn};

/// Label ids: letters are 0..52, the broadcast (`...`) dims 52.. from the left.
const ELLIPSIS_BASE: usize = 52;

fn letter(c: char) -> Option<usize> {
    match c {
        'a'..='z' => Some(c as usize - 'a' as usize + 26),
        'A'..='Z' => Some(c as usize - 'A' as usize),
        _ => None,
    }
}

/// One operand's term: its labels, with `None` standing for the `...` position.
fn parse_term(t: &str, attrs: &Attributes) -> Result<Vec<Option<usize>>, GraphError> {
    let bad = |why: String| GraphError::attribute(&attrs.op, "equation", why);
    let mut out = Vec::new();
    let mut rest = t;
    let mut seen_ellipsis = false;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("...") {
            if std::mem::replace(&mut seen_ellipsis, true) {
                return Err(bad(format!("term '{t}' has two '...'")));
            }
            out.push(None);
            rest = &rest[3..];
            continue;
        }
        out.push(Some(letter(c).ok_or_else(|| bad(format!("'{c}' in term '{t}' is not a letter")))?));
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

pub(super) fn einsum(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let eq: String = attrs.string_or("equation", "")?.chars().filter(|c| !c.is_whitespace()).collect();
    if eq.is_empty() {
        return Err(GraphError::attribute(&attrs.op, "equation", "required attribute is missing or empty"));
    }
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<Vec<Option<usize>>> = lhs.split(',').map(|t| parse_term(t, attrs)).collect::<Result<_, _>>()?;
    if terms.len() != inputs.len() {
        return Err(GraphError::attribute(
            &attrs.op,
            "equation",
            format!("'{eq}' has {} operands, the node has {} inputs", terms.len(), inputs.len()),
        ));
    }
    let xs: Vec<&ArrayD<f32>> =
        (0..inputs.len()).map(|i| super::f32_input(inputs, i, attrs)).collect::<Result<_, _>>()?;
    // Each operand's axes as label ids (the `...` expanded, right-aligned across operands).
    let ell: Vec<usize> = terms
        .iter()
        .zip(&xs)
        .map(|(t, x)| {
            let letters = t.iter().filter(|l| l.is_some()).count();
            let has = t.len() != letters;
            match x.ndim().checked_sub(letters) {
                Some(e) if has || e == 0 => Ok(e),
                _ => Err(GraphError::shape(
                    &attrs.op,
                    format!("operand of shape {:?} does not match its term of {letters} labels", x.shape()),
                )),
            }
        })
        .collect::<Result<_, _>>()?;
    let e_max = ell.iter().copied().max().unwrap_or(0);
    let axes: Vec<Vec<usize>> = terms
        .iter()
        .zip(&ell)
        .map(|(t, &e)| {
            t.iter()
                .flat_map(|l| match l {
                    Some(l) => vec![*l],
                    None => (0..e).map(|j| ELLIPSIS_BASE + e_max - e + j).collect(),
                })
                .collect()
        })
        .collect();
    let mut size = vec![None::<usize>; ELLIPSIS_BASE + e_max];
    for (x, ax) in xs.iter().zip(&axes) {
        for (&l, &d) in ax.iter().zip(x.shape()) {
            size[l] = match size[l] {
                None => Some(d),
                Some(s) if s == d => Some(s),
                // broadcast dims may be 1 in some operands
                Some(1) if l >= ELLIPSIS_BASE => Some(d),
                Some(s) if l >= ELLIPSIS_BASE && d == 1 => Some(s),
                Some(s) => {
                    return Err(GraphError::shape(
                        &attrs.op,
                        format!("label has size {s} in one operand and {d} in another (equation '{eq}')"),
                    ));
                }
            };
        }
    }
    let ellipsis_labels: Vec<usize> = (ELLIPSIS_BASE..ELLIPSIS_BASE + e_max).collect();
    let out_labels: Vec<usize> = match rhs {
        Some(r) => {
            let t = parse_term(r, attrs)?;
            let mut v = Vec::new();
            for l in t {
                match l {
                    Some(l) if size[l].is_none() => {
                        return Err(GraphError::attribute(&attrs.op, "equation", "an output label is in no operand"));
                    }
                    Some(l) if v.contains(&l) => {
                        return Err(GraphError::attribute(&attrs.op, "equation", "an output label is repeated"));
                    }
                    Some(l) => v.push(l),
                    None => v.extend(&ellipsis_labels),
                }
            }
            v
        }
        None => {
            // numpy's implicit output: the broadcast dims, then the letters used once, in ASCII order.
            let mut counts = [0usize; ELLIPSIS_BASE];
            for ax in &axes {
                ax.iter().filter(|&&l| l < ELLIPSIS_BASE).for_each(|&l| counts[l] += 1);
            }
            ellipsis_labels.iter().copied().chain((0..ELLIPSIS_BASE).filter(|&l| counts[l] == 1)).collect()
        }
    };
    let summed: Vec<usize> = (0..size.len()).filter(|l| size[*l].is_some() && !out_labels.contains(l)).collect();
    let dim = |l: usize| size[l].unwrap_or(1);
    let out_shape: Vec<usize> = out_labels.iter().map(|&l| dim(l)).collect();
    let n_out = element_count(&out_shape, attrs)?;
    let sum_dims: Vec<usize> = summed.iter().map(|&l| dim(l)).collect();
    let work = checked::product(&[n_out, xs.len()]).and_then(|a| a.checked_mul(checked::product(&sum_dims)?));
    budget::check_cost(&attrs.op, "multiply-adds", work)?;
    // Per operand, the element stride of each label (summed over its repeats: a diagonal), 0 when absent or
    // broadcast.
    let contiguous: Vec<ArrayD<f32>> = xs.iter().map(|x| x.as_standard_layout().into_owned()).collect();
    let strides: Vec<Vec<usize>> = contiguous
        .iter()
        .zip(&axes)
        .map(|(x, ax)| {
            let mut st = vec![0usize; size.len()];
            let mut s = 1usize;
            for (k, &l) in ax.iter().enumerate().rev() {
                if x.shape()[k] != 1 || dim(l) == 1 {
                    st[l] += s;
                }
                s *= x.shape()[k];
            }
            st
        })
        .collect();
    let data: Vec<&[f32]> = contiguous.iter().map(|x| x.as_slice().unwrap_or(&[])).collect();
    let mut out = Vec::with_capacity(n_out);
    let mut oi = vec![0usize; out_labels.len()];
    let mut si = vec![0usize; summed.len()];
    let n_sum: usize = sum_dims.iter().product();
    for _ in 0..n_out {
        let base: Vec<usize> =
            strides.iter().map(|st| out_labels.iter().zip(&oi).map(|(&l, &i)| st[l] * i).sum()).collect();
        let mut acc = 0f64;
        si.iter_mut().for_each(|v| *v = 0);
        for _ in 0..n_sum {
            let mut p = 1f64;
            for (k, d) in data.iter().enumerate() {
                let off: usize = base[k] + summed.iter().zip(&si).map(|(&l, &i)| strides[k][l] * i).sum::<usize>();
                p *= f64::from(d[off]);
            }
            acc += p;
            odometer(&mut si, &sum_dims);
        }
        out.push(acc as f32);
        odometer(&mut oi, &out_shape);
    }
    let y = ArrayD::from_shape_vec(IxDyn(&out_shape), out).map_err(|e| GraphError::shape(&attrs.op, e.to_string()))?;
    Ok(Tensor::F32(y))
}

/// Advances a row-major multi-index (wrapping to zeros after the last position).
fn odometer(idx: &mut [usize], dims: &[usize]) {
    for k in (0..idx.len()).rev() {
        idx[k] += 1;
        if idx[k] < dims[k] {
            return;
        }
        idx[k] = 0;
    }
}
