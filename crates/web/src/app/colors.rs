//! Colours of states, platforms and alignment groups, chosen once so the graph, the legend and the inspector
//! agree. Colour is never the only cue: every coloured mark also carries its state name as text or tooltip.

/// Fill colour of a TQC state (by PPQ name; unknown names are grey).
pub fn state_color(state: &str) -> &'static str {
    match state {
        "INITIAL" => "#9aa5b1",
        "ACTIVATED" => "#1f7a4d",
        "PASSIVE" => "#2f6fb3",
        "PASSIVE_INIT" => "#7fa7d6",
        "PASSIVE_BAKED" => "#5b4bb3",
        "BAKED" => "#8a4fb0",
        "OVERLAPPED" => "#d9a21b",
        "FP32" => "#c9ced6",
        "SOI" => "#6b7380",
        "SLAVE" => "#3f93a8",
        "DEACTIVATED" => "#b0b6bf",
        "DEQUANTIZED" => "#c07a4a",
        _ => "#d0d4da",
    }
}

/// Text colour readable on [`state_color`].
pub fn state_text_color(state: &str) -> &'static str {
    match state {
        "FP32" | "DEACTIVATED" | "PASSIVE_INIT" | "OVERLAPPED" | "INITIAL" | "" => "#1d232b",
        _ => "#ffffff",
    }
}

/// Distinct outline colours for alignment groups (cycled).
const GROUPS: [&str; 8] = ["#e4572e", "#17bebb", "#c33c9a", "#76b041", "#ff9f1c", "#4361ee", "#8d6a9f", "#2ec4b6"];

/// The outline colour of the `k`-th group.
pub fn group_color(k: usize) -> &'static str {
    GROUPS[k % GROUPS.len()]
}

/// True for platforms that are not quantized (drawn dashed and grey).
pub fn is_float_platform(platform: &str) -> bool {
    matches!(platform, "FP32" | "SOI" | "UNSPECIFIED")
}
