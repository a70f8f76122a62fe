//! The baking view: for the highlighted parameter (or the selected op's first one), a few fp32 values beside
//! the integers an exporter stores and the baked values, a histogram of the rounding error in units of the
//! scale, and for a bias the scales its int32 scale is made of. Everything shown comes from
//! [`ppq_pipeline::baking_view`], run in the teaching worker.

use super::model::ResultView;
use super::teach_runner::Extras;
use ppq_pipeline::baking_view::{BakingView, BiasPrecision, ERROR_BINS, ErrorHistogram};
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`BakingPanel`].
#[derive(Properties, PartialEq)]
pub struct BakingProps {
    /// The teaching results (baking views among them).
    pub extras: Rc<Extras>,
    /// Selected op.
    pub op: Option<String>,
    /// Highlighted TQC.
    pub hl: Option<String>,
    /// State of each parameter TQC at the pass position on screen.
    pub states: Rc<Vec<(String, String)>>,
}

/// The state of every parameter that has a baking view, at the pass position `step` of `result`.
pub fn states_at(result: Option<&ResultView>, step: Option<usize>, extras: &Extras) -> Rc<Vec<(String, String)>> {
    let Some(r) = result else { return Rc::default() };
    Rc::new(extras.baking.iter().filter_map(|v| r.by_id_at(&v.tqc, step).map(|t| (v.tqc.clone(), t.state))).collect())
}

/// The view to show: the highlighted parameter, else the selected op's first parameter.
fn chosen(p: &BakingProps) -> Option<&BakingView> {
    let views = &p.extras.baking;
    let by_hl = p.hl.as_deref().and_then(|hl| views.iter().find(|v| v.tqc == hl));
    by_hl.or_else(|| {
        let prefix = format!("{}:", p.op.as_deref()?);
        views.iter().find(|v| v.tqc.starts_with(&prefix))
    })
}

fn status(v: &BakingView, now: Option<&str>) -> String {
    if let Some(state) = now.filter(|s| v.baked && !s.ends_with("BAKED")) {
        return format!(
            "State {state} at this pass: not baked yet. The rows show what the Parameter Baking Pass will write \
             (move the slider past it: the state becomes {}).",
            v.state
        );
    }
    match (v.quantized, v.baked) {
        (true, true) => format!(
            "State {}: the Parameter Baking Pass replaced the fp32 values by int × scale, so the executor never \
             quantizes this tensor again. The scale did not change; only who applies it.",
            v.state
        ),
        (true, false) => {
            format!("State {}: not baked (yet). The rows show what the Parameter Baking Pass writes.", v.state)
        }
        (false, _) => format!(
            "State {}: this parameter has no scale, so baking leaves it in float32 (the target runtime handles it).",
            v.state
        ),
    }
}

/// A small SVG bar chart of the error histogram over [−0.5, 0.5] scale.
fn histogram(h: &ErrorHistogram) -> Html {
    let (w, ht, pad) = (220.0, 64.0, 14.0);
    let max = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bw = w / ERROR_BINS as f64;
    html! {
        <svg id="baking-histogram" class="histogram" width={w.to_string()} height={(ht + pad).to_string()}
            viewBox={format!("0 0 {w} {}", ht + pad)} role="img"
            aria-label="Rounding error per element, in units of the scale, from -0.5 to +0.5">
            { for h.counts.iter().enumerate().map(|(i, &c)| {
                let bh = c as f64 / max * ht;
                html! { <rect class="bar" x={format!("{:.1}", i as f64 * bw + 0.5)} y={format!("{:.1}", ht - bh)}
                    width={format!("{:.1}", bw - 1.0)} height={format!("{bh:.1}")} data-count={c.to_string()}>
                    <title>{ format!("{:+.2} … {:+.2}: {c}", i as f64 / ERROR_BINS as f64 - 0.5, (i + 1) as f64 / ERROR_BINS as f64 - 0.5) }</title>
                </rect> }
            }) }
            <line class="axis" x1="0" x2={w.to_string()} y1={ht.to_string()} y2={ht.to_string()} />
            <text x="0" y={(ht + pad - 2.0).to_string()}>{ "−0.5" }</text>
            <text x={(w / 2.0 - 3.0).to_string()} y={(ht + pad - 2.0).to_string()}>{ "0" }</text>
            <text x={(w - 24.0).to_string()} y={(ht + pad - 2.0).to_string()}>{ "+0.5" }</text>
        </svg>
    }
}

fn bias(v: &BakingView, b: &BiasPrecision) -> Html {
    let first = b.products.first().copied().unwrap_or(0.0);
    html! {
        <div id="bias-precision" class="bias-precision">
            <h4>{ "Bias precision" }</h4>
            <p>
                { format!("{} accumulates input × weight in int32; one step of that accumulator is input_scale · \
                    weight_scale. The bias is added to the accumulator, so PPQ gives it exactly that scale (no observer \
                    of its own: a passive TQC) and {} bits, range [{}, {}]. Here: ", v.op_type, v.num_of_bits, v.quant_min, v.quant_max) }
                <code>{ &b.input_tqc }</code>{ format!(" scale {:.6e} × ", b.input_scale) }
                <code>{ &b.weight_tqc }</code>{ format!(" scale {:.6e} (channel 0) = {:.6e}; the bias scale is {:.6e}.",
                    b.weight_scales.first().copied().unwrap_or(0.0), first, b.bias_scales.first().copied().unwrap_or(0.0)) }
            </p>
            <table class="num">
                <thead><tr><th>{ "channel" }</th><th>{ "input_scale · weight_scale" }</th><th>{ "bias scale" }</th></tr></thead>
                <tbody>
                    { for b.products.iter().zip(&b.bias_scales).enumerate().map(|(c, (p, s))| html! {
                        <tr><td>{ c }</td><td>{ format!("{p:.6e}") }</td><td>{ format!("{s:.6e}") }</td></tr>
                    }) }
                </tbody>
            </table>
            <p class="muted small">{ format!("Largest relative mismatch over all {} channels: {:.1e}. With 8 bits and this \
                tiny scale the bias could only reach ±{:.3e}; with 32 bits it reaches ±{:.3e} and its rounding error \
                (at most half a step, {:.1e}) is far below one step of the activations.", b.channels, b.max_relative_mismatch,
                127.0 * first, 2_147_483_647.0 * first, first / 2.0) }</p>
        </div>
    }
}

/// The baking panel, when a parameter is selected or highlighted.
#[function_component(BakingPanel)]
pub fn baking_panel(p: &BakingProps) -> Html {
    let Some(v) = chosen(p) else { return html! {} };
    let h = &v.histogram;
    let now = p.states.iter().find(|(id, _)| *id == v.tqc).map(|(_, s)| s.as_str());
    html! {
        <section id="baking" class="baking" data-tqc={v.tqc.clone()} data-state={v.state.clone()} aria-label="Baking">
            <h3>{ "Baking · " }<code>{ &v.tqc }</code></h3>
            <p id="baking-status">{ status(v, now) }</p>
            <p class="muted small">{ format!("{} values, {} bit{}, range [{}, {}], {} scale{}.", v.count, v.num_of_bits,
                if v.num_of_bits == 1 { "" } else { "s" }, v.quant_min, v.quant_max, v.scales, if v.scales == 1 { "" } else { "s" }) }</p>
            <div class="table-scroll">
            <table id="baking-rows" class="num">
                <thead><tr><th>{ "#" }</th><th>{ "fp32" }</th><th title="the integer the QDQ export stores">{ "int" }</th>
                    <th>{ "scale" }</th><th>{ "baked" }</th><th title="(baked − fp32) / scale">{ "Δ/scale" }</th></tr></thead>
                <tbody>
                    { for v.rows.iter().map(|r| html! {
                        <tr class="baking-row" data-fp32={r.fp32.to_string()} data-baked={r.baked.to_string()}
                            data-int={r.int.map(|q| q.to_string()).unwrap_or_default()} data-scale={r.scale.to_string()}
                            data-error={r.error_in_scale.to_string()}>
                            <td>{ r.index }</td>
                            <td>{ format!("{:.5}", r.fp32) }</td>
                            <td>{ r.int.map_or("—".to_string(), |q| q.to_string()) }</td>
                            <td>{ if r.scale > 0.0 { format!("{:.3e}", r.scale) } else { "—".to_string() } }</td>
                            <td>{ format!("{:.5}", r.baked) }</td>
                            <td>{ format!("{:+.3}", r.error_in_scale) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
            if v.quantized {
                { histogram(h) }
                <p id="baking-summary" class="small">{ format!("Rounding error of all {} values, in units of the scale: mean |error| \
                    {:.3} (uniform rounding gives 0.25), largest |baked − fp32| {:.3e}; clipped below/above the range: {} / {}.",
                    v.count, v.mean_abs_error_in_scale, v.max_abs_error, h.below, h.above) }</p>
                <p class="muted small">{ "QDQ: in the exported QDQ model this parameter is stored as the int column and read \
                    through a DequantizeLinear with its scale (int × scale = baked); activations get a QuantizeLinear → \
                    DequantizeLinear pair. The runtime fuses the pairs into integer kernels." }</p>
            }
            if let Some(b) = &v.bias { { bias(v, b) } }
        </section>
    }
}
