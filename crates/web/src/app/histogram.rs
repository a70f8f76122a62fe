//! Activation histograms of the selected op after calibration: the values the observers saw on the
//! calibration data, the TQC's clip range as two lines, and the share of values quantization clamps. The
//! numbers come from `pipeline::tensor_stats` in the worker; this only draws them.

use ppq_pipeline::tensor_stats::ActivationHistogram;
use yew::prelude::*;

const W: f64 = 280.0;
const H: f64 = 80.0;

fn fmt(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e4) { format!("{v:.3e}") } else { format!("{v:.4}") }
}

/// Properties of [`Histogram`].
#[derive(Properties, PartialEq)]
pub struct HistogramProps {
    /// The histogram.
    pub h: ActivationHistogram,
}

/// One activation's histogram (bar heights ∝ √count so the tails stay visible).
#[function_component(Histogram)]
pub fn histogram(p: &HistogramProps) -> Html {
    let h = &p.h;
    let span = (h.hi - h.lo).max(f64::MIN_POSITIVE);
    let x = |v: f64| ((v - h.lo) / span * W).clamp(0.0, W);
    let top = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bw = W / h.counts.len().max(1) as f64;
    let bars = h.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, &c)| {
        let bh = ((c as f64).sqrt() / top.sqrt() * (H - 4.0)).max(1.0);
        html! { <rect class="bar" x={format!("{:.2}", i as f64 * bw)} y={format!("{:.2}", H - bh)}
            width={format!("{:.2}", (bw - 0.5).max(0.5))} height={format!("{bh:.2}")}><title>{ format!("{c} values") }</title></rect> }
    });
    let pct = h.saturation_percent();
    html! {
        <figure class="histogram" data-var={h.var.clone()} data-tqc={h.tqc.clone()} data-saturation={pct.to_string()}>
            <figcaption>
                <code>{ &h.var }</code>{ " " }<span class="state-name">{ &h.state }</span>
            </figcaption>
            <svg viewBox={format!("0 -12 {W} {}", H + 26.0)} role="img"
                aria-label={format!("Histogram of {} on the calibration data", h.var)}>
                if let Some((a, b)) = h.clip {
                    <rect class="outside" x="0" y="0" width={format!("{:.2}", x(a))} height={H.to_string()} />
                    <rect class="outside" x={format!("{:.2}", x(b))} y="0" width={format!("{:.2}", W - x(b))} height={H.to_string()} />
                }
                { for bars }
                <line class="axis" x1="0" y1={H.to_string()} x2={W.to_string()} y2={H.to_string()} />
                if let Some((a, b)) = h.clip {
                    <line class="clip" x1={format!("{:.2}", x(a))} x2={format!("{:.2}", x(a))} y1="-8" y2={H.to_string()} />
                    <line class="clip" x1={format!("{:.2}", x(b))} x2={format!("{:.2}", x(b))} y1="-8" y2={H.to_string()} />
                }
                <text x="0" y={(H + 12.0).to_string()}>{ fmt(h.lo) }</text>
                <text x={W.to_string()} y={(H + 12.0).to_string()} text-anchor="end">{ fmt(h.hi) }</text>
            </svg>
            <p class="small">
                { format!("data {} … {} · {} values from {} samples", fmt(h.data_min), fmt(h.data_max), h.total, h.batches) }
                <br />
                { match h.clip {
                    Some((a, b)) => html! { <>
                        { format!("clip range {} … {} · saturated ", fmt(a), fmt(b)) }
                        <strong class="saturation">{ format!("{pct:.3} %") }</strong>
                        { format!(" ({} of {})", h.saturated, h.total) }
                    </> },
                    None => html! { <span class="muted">{ format!("not quantized here ({}): no clip range", h.state) }</span> },
                } }
            </p>
        </figure>
    }
}
