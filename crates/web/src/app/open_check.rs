//! Opening a user's file without trusting it: the bytes go to the worker first ([`Request::Open`] runs
//! import, validation, formatting and a budgeted fp32 probe there), and only a model the worker accepted is
//! parsed on the page's thread to be drawn. A model that traps the worker, exhausts its memory or keeps it busy
//! past [`OPEN_TIMEOUT_MS`] costs a fresh worker and an error naming the file — never the page, the open model
//! or the results already on screen.

use super::model::parse_graph;
use super::{App, Msg, Opened, loader};
use ppq_worker::protocol::Request;
use std::rc::Rc;
use yew::Context;

/// How long the worker may take to check a model before the page stops it.
pub const OPEN_TIMEOUT_MS: i32 = 20_000;

/// The file being checked by the worker, if any.
#[derive(Default)]
pub struct Opening {
    /// Tickets so far; the answer must carry the latest.
    ticket: u64,
    /// The file in the worker: ticket, file name, bytes.
    current: Option<(u64, String, Rc<Vec<u8>>)>,
}

impl Opening {
    /// The name of the file being checked.
    pub fn name(&self) -> Option<&str> {
        self.current.as_ref().map(|(_, n, _)| n.as_str())
    }
}

impl App {
    /// A user's file was read: hand it to the worker to check.
    pub(super) fn check_file(&mut self, ctx: &Context<Self>, name: String, bytes: Vec<u8>) {
        if self.worker.is_none() {
            self.restart_worker(ctx);
        }
        let Some(w) = &self.worker else {
            return self.open_failed(&name, "the pipeline worker is not running; reload the page");
        };
        self.opening.ticket += 1;
        let ticket = self.opening.ticket;
        if let Err(e) = w.post(&Request::Open { ticket, model: bytes.clone() }) {
            return self.open_failed(&name, &e);
        }
        self.busy = Some(format!("Checking {name}…"));
        self.opening.current = Some((ticket, name, Rc::new(bytes)));
        ctx.link().send_future(async move {
            loader::sleep(OPEN_TIMEOUT_MS).await;
            Msg::OpenTimeout(ticket)
        });
    }

    /// The worker's verdict on ticket `ticket`: draw the model, or say why not.
    pub(super) fn on_opened(&mut self, ctx: &Context<Self>, ticket: u64, result: Result<Vec<String>, String>) {
        let Some((t, name, bytes)) = self.opening.current.take() else { return };
        if t != ticket {
            self.opening.current = Some((t, name, bytes));
            return;
        }
        match result {
            Err(e) => self.open_failed(&name, &e),
            // validation's notes are drawn with the graph (parse_graph re-derives them)
            Ok(_notes) => {
                ctx.link().send_future(async move {
                    let result = parse_graph(&name, &bytes).await.map(|graph| Opened {
                        name: name.trim_end_matches(".onnx").to_string(),
                        bytes: bytes.to_vec(),
                        graph,
                        ppq: None,
                        calib: None,
                        bundled: false,
                    });
                    Msg::Loaded(Box::new(result))
                });
            }
        }
    }

    /// The timer of ticket `ticket` ran out: if the worker is still checking that file, stop it.
    pub(super) fn open_timed_out(&mut self, ctx: &Context<Self>, ticket: u64) {
        if self.opening.current.as_ref().is_some_and(|(t, _, _)| *t == ticket) {
            let name = self.opening.name().unwrap_or_default().to_string();
            self.opening.current = None;
            self.restart_worker(ctx);
            self.open_failed(
                &name,
                &format!(
                    "checking it took longer than {} s, so the worker was stopped and a fresh one started",
                    OPEN_TIMEOUT_MS / 1000
                ),
            );
        }
    }

    /// The worker died while checking a file: that file is the cause. Returns false when no file was in it.
    pub(super) fn open_crashed(&mut self, e: &str) -> bool {
        let Some((_, name, _)) = self.opening.current.take() else { return false };
        self.open_failed(&name, &format!("{e} — a fresh worker was started"));
        true
    }

    fn open_failed(&mut self, name: &str, why: &str) {
        self.busy = None;
        self.error = Some(format!(
            "Could not open {name}: {why}{}",
            if self.doc.is_some() { " — the previous model is still loaded." } else { "" }
        ));
    }
}
