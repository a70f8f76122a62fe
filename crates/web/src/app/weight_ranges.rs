//! Per-channel weight ranges of the selected op: for each channel, the fp32 min…max as a bar and the channel's
//! clip range as a frame around it, on one shared axis, so a channel whose range dwarfs the others (and would
//! waste a per-tensor scale) stands out. Numbers from `pipeline::tensor_stats` in the worker.

use ppq_pipeline::tensor_stats::WeightRanges;
use yew::prelude::*;

const W: f64 = 280.0;
const ROW: f64 = 7.0;

/// Properties of [`WeightRangePlot`].
#[derive(Properties, PartialEq)]
pub struct WeightRangeProps {
    /// The parameter's channels.
    pub w: WeightRanges,
}

/// One row per channel.
#[function_component(WeightRangePlot)]
pub fn weight_range_plot(p: &WeightRangeProps) -> Html {
    let w = &p.w;
    let ends =
        w.channels.iter().flat_map(|c| [c.min, c.max].into_iter().chain(c.clip.into_iter().flat_map(|(a, b)| [a, b])));
    let m = ends.filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    let x = |v: f64| (W / 2.0 + v / m * (W / 2.0 - 2.0)).clamp(0.0, W);
    let h = w.channels.len() as f64 * ROW;
    let rows = w.channels.iter().enumerate().map(|(i, c)| {
        let y = i as f64 * ROW;
        html! {
            <g class="channel" data-channel={i.to_string()}>
                <title>{ format!("channel {i}: {:.4} … {:.4}{}", c.min, c.max,
                    c.clip.map(|(a, b)| format!(", clip {a:.4} … {b:.4}")).unwrap_or_default()) }</title>
                if let Some((a, b)) = c.clip {
                    <rect class="clip" x={format!("{:.2}", x(a))} y={format!("{:.2}", y + 0.5)}
                        width={format!("{:.2}", (x(b) - x(a)).max(0.5))} height={format!("{:.2}", ROW - 1.0)} />
                }
                <rect class="range" x={format!("{:.2}", x(c.min))} y={format!("{:.2}", y + 1.5)}
                    width={format!("{:.2}", (x(c.max) - x(c.min)).max(0.5))} height={format!("{:.2}", ROW - 3.0)} />
            </g>
        }
    });
    let axis = match w.axis {
        Some(a) => format!("{} channels along axis {a}", w.channels.len()),
        None => "per tensor".into(),
    };
    html! {
        <figure class="weight-ranges" data-var={w.var.clone()} data-channels={w.channels.len().to_string()}>
            <figcaption><code>{ &w.var }</code>{ format!(" · {axis} · {}", w.state) }</figcaption>
            <svg viewBox={format!("0 0 {W} {}", h + 14.0)} role="img"
                aria-label={format!("fp32 range and clip range of each channel of {}", w.var)}>
                <line class="zero" x1={(W / 2.0).to_string()} x2={(W / 2.0).to_string()} y1="0" y2={h.to_string()} />
                { for rows }
                <text x="0" y={(h + 11.0).to_string()}>{ format!("{:.3}", -m) }</text>
                <text x={W.to_string()} y={(h + 11.0).to_string()} text-anchor="end">{ format!("{m:.3}") }</text>
            </svg>
            <p class="muted small">{ "Bars: fp32 min…max of each channel; frames: the channel's clip range." }</p>
        </figure>
    }
}
