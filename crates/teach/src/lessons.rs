//! Lessons: Markdown files in `www/lessons/`, read by a small safe parser of our own. It knows headings,
//! paragraphs, lists, code spans, bold and italics, and one extension, the *step* line:
//!
//! ```text
//! -> Calibrate: conv1's input becomes ACTIVATED | #m=b_residual&pass=4&op=conv1&hl=conv1:in0:input | ACTIVATED
//! ```
//!
//! a button label, the experiment it opens (a URL hash, see [`crate::experiment`]) and the state the
//! highlighted TQC must then show. The result is plain data that the page renders as text nodes: no HTML from
//! a lesson ever reaches the DOM.

/// Inline text.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// `**bold**`.
    Strong(String),
    /// `*italic*`.
    Em(String),
    /// `` `code` ``.
    Code(String),
}

/// One guided step: a button that puts the page in a state.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Button label.
    pub label: String,
    /// The experiment (URL hash) the button opens.
    pub hash: String,
    /// State the highlighted TQC shows afterwards (checked by the tests; shown to the learner).
    pub expect: Option<String>,
}

/// A block of a lesson.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `#`…`###` heading.
    Heading(u8, Vec<Inline>),
    /// A paragraph (consecutive lines joined).
    Para(Vec<Inline>),
    /// A list; `true` when numbered.
    List(bool, Vec<Vec<Inline>>),
    /// A step button.
    Step(Step),
}

/// A parsed lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// Title: the first heading.
    pub title: String,
    /// The blocks.
    pub blocks: Vec<Block>,
}

impl Lesson {
    /// The steps in order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.blocks.iter().filter_map(|b| if let Block::Step(s) = b { Some(s) } else { None })
    }
}

/// The bundled lessons: id, file under `www/lessons/`.
pub const LESSONS: &[(&str, &str)] =
    &[("states", "01-states.md"), ("alignment", "02-alignment.md"), ("baking", "03-baking.md")];

/// Parses inline markup; unmatched markers stay literal text.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let (marker, make): (&str, fn(String) -> Inline) = if rest.starts_with("**") {
            ("**", Inline::Strong)
        } else if c == '`' {
            ("`", Inline::Code)
        } else if c == '*' || c == '_' && rest.len() > 1 {
            (if c == '*' { "*" } else { "_" }, Inline::Em)
        } else {
            plain.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let after = &rest[marker.len()..];
        match after.find(marker).filter(|&i| i > 0) {
            Some(end) if c != '_' || plain.is_empty() || plain.ends_with(' ') => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.push(make(after[..end].to_string()));
                rest = &after[end + marker.len()..];
            }
            _ => {
                plain.push_str(marker);
                rest = after;
            }
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

/// Parses a lesson. Never fails: anything unknown is a paragraph.
pub fn parse(md: &str) -> Lesson {
    let mut blocks = Vec::new();
    let mut para: Vec<String> = Vec::new();
    let mut list: Option<(bool, Vec<Vec<Inline>>)> = None;
    let flush = |blocks: &mut Vec<Block>, para: &mut Vec<String>, list: &mut Option<(bool, Vec<Vec<Inline>>)>| {
        if !para.is_empty() {
            blocks.push(Block::Para(inlines(&para.join(" "))));
            para.clear();
        }
        if let Some((n, items)) = list.take() {
            blocks.push(Block::List(n, items));
        }
    };
    for raw in md.lines() {
        let line = raw.trim();
        let numbered = line.split_once(". ").filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if line.is_empty() {
            flush(&mut blocks, &mut para, &mut list);
        } else if let Some(h) = line.strip_prefix('#') {
            flush(&mut blocks, &mut para, &mut list);
            let level = 1 + h.chars().take_while(|&c| c == '#').count().min(2) as u8;
            blocks.push(Block::Heading(level, inlines(h.trim_start_matches('#').trim())));
        } else if let Some(s) = line.strip_prefix("->") {
            flush(&mut blocks, &mut para, &mut list);
            let mut parts = s.split('|').map(str::trim);
            let label = parts.next().unwrap_or_default().to_string();
            let hash = parts.next().unwrap_or_default().to_string();
            let expect = parts.next().filter(|e| !e.is_empty()).map(str::to_string);
            blocks.push(Block::Step(Step { label, hash, expect }));
        } else if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            if !para.is_empty() || list.as_ref().is_some_and(|l| l.0) {
                flush(&mut blocks, &mut para, &mut list);
            }
            list.get_or_insert((false, Vec::new())).1.push(inlines(item));
        } else if let Some((_, item)) = numbered {
            if !para.is_empty() || list.as_ref().is_some_and(|l| !l.0) {
                flush(&mut blocks, &mut para, &mut list);
            }
            list.get_or_insert((true, Vec::new())).1.push(inlines(item));
        } else if let Some((_, items)) = list.as_mut().filter(|_| raw.starts_with("  ")) {
            // a continuation line of the last list item
            if let Some(last) = items.last_mut() {
                last.push(Inline::Text(" ".into()));
                last.extend(inlines(line));
            }
        } else {
            if list.is_some() {
                flush(&mut blocks, &mut para, &mut list);
            }
            para.push(line.to_string());
        }
    }
    flush(&mut blocks, &mut para, &mut list);
    let title = blocks
        .iter()
        .find_map(|b| if let Block::Heading(_, t) = b { Some(plain_text(t)) } else { None })
        .unwrap_or_else(|| "Lesson".into());
    Lesson { title, blocks }
}

/// The text of inlines without markup.
pub fn plain_text(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(s) | Inline::Strong(s) | Inline::Em(s) | Inline::Code(s) => s.as_str(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Experiment;

    #[test]
    fn markup() {
        assert_eq!(
            inlines("a **b** `c<d>` *e* snake_case x*"),
            vec![
                Inline::Text("a ".into()),
                Inline::Strong("b".into()),
                Inline::Text(" ".into()),
                Inline::Code("c<d>".into()),
                Inline::Text(" ".into()),
                Inline::Em("e".into()),
                Inline::Text(" snake_case x*".into()),
            ]
        );
        let l = parse("# T\n\npara\nline\n\n- a\n- b\n  more\n1. q\n2. r\n-> Go | #m=x | INITIAL\n<script>x</script>");
        assert_eq!(l.title, "T");
        assert_eq!(l.blocks[1], Block::Para(vec![Inline::Text("para line".into())]));
        assert!(
            matches!(&l.blocks[2], Block::List(false, items) if items.len() == 2 && plain_text(&items[1]) == "b more")
        );
        assert!(matches!(&l.blocks[3], Block::List(true, items) if items.len() == 2));
        assert_eq!(l.steps().count(), 1);
        assert_eq!(l.steps().next().unwrap().expect.as_deref(), Some("INITIAL"));
        assert_eq!(l.blocks[5], Block::Para(vec![Inline::Text("<script>x</script>".into())]), "HTML stays text");
    }

    #[test]
    fn garbage_never_panics() {
        for s in ["", "#", "->", "-> |", "**", "`", "1.", "1. ", "- ", "ü*ü**ü`", "###### x", "  - x", "_a_ __"] {
            let _ = parse(s);
        }
    }

    #[test]
    fn bundled_lessons_parse_and_their_links_are_clean() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        for (id, file) in LESSONS {
            let md = std::fs::read_to_string(format!("{root}/www/lessons/{file}")).unwrap();
            let lesson = parse(&md);
            assert!(lesson.steps().count() >= 3, "{id}: at least three steps");
            for step in lesson.steps() {
                let (e, warnings) = Experiment::from_hash(&step.hash);
                assert!(warnings.is_empty(), "{id}: {}: {warnings:?}", step.label);
                assert!(e.sample.is_some(), "{id}: {} opens a sample", step.label);
            }
        }
    }

    /// Every step, run natively with the same pipeline the page runs: the highlighted TQC shows the state the
    /// lesson promises at the step's pass.
    #[test]
    fn every_step_shows_the_promised_state() {
        use crate::run::run;
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut failures = Vec::new();
        for (id, file) in LESSONS {
            let lesson = parse(&std::fs::read_to_string(format!("{root}/www/lessons/{file}")).unwrap());
            for step in lesson.steps() {
                let (e, _) = Experiment::from_hash(&step.hash);
                let m = e.sample.clone().unwrap();
                let bytes = std::fs::read(format!("{root}/www/samples/{m}.onnx")).unwrap();
                let calib = std::fs::read_to_string(format!("{root}/www/samples/calib/{m}_calib.json")).unwrap();
                let out = run(&bytes, &e, Some(&calib)).unwrap();
                let snapshots: Vec<serde_json::Value> = serde_json::from_str(&out.snapshots_json).unwrap();
                let snap = &snapshots[e.pass.unwrap_or(snapshots.len() - 1)];
                let hl = e.tqc.clone().unwrap();
                let got = snap["states"][hl.as_str()].as_str().unwrap_or("<missing>").to_string();
                if step.expect.as_deref() != Some(got.as_str()) {
                    failures.push(format!("{id}: {}: {hl} is {got}, lesson says {:?}", step.label, step.expect));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
