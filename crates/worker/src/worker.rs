//! The pipeline worker's logic: one [`Pipeline`] per loaded model, driven by [`Request`]s, answering with
//! [`Response`]s through a callback (the wasm worker posts them to the page; tests collect them). It only
//! calls the shared [`session`] glue, so its files equal the CLI's.

mod analysis;

use crate::protocol::{CalibSource, FileView, PassView, Request, Response, RunState};
use ppq_graph::validate::inspect_onnx;
use ppq_pipeline::{CalibrationData, Pipeline};
use ppq_session as session;
use ppq_session::SessionSettings;

/// A loaded model with its pipeline.
pub struct Session {
    name: String,
    settings: SessionSettings,
    samples: usize,
    pristine: Pipeline,
    pipeline: Pipeline,
    calib: CalibrationData,
}

/// The worker: at most one session.
#[derive(Default)]
pub struct Worker {
    session: Option<Session>,
}

impl Worker {
    /// Handles one request; `post` receives progress and the final answer.
    pub fn handle(&mut self, req: Request, post: &mut dyn FnMut(Response)) {
        let result = match req {
            Request::Load { name, model, calib, settings } => self.load(name, &model, &calib, settings),
            Request::Reset => match &mut self.session {
                Some(s) => {
                    s.pipeline = s.pristine.clone();
                    Ok(Vec::new())
                }
                None => Err("no model is loaded".to_string()),
            },
            Request::Step => self.run(false, post),
            Request::RunAll => self.run(true, post),
            Request::KeepFloat { op, float } => self.keep_float(&op, float),
            Request::Sensitivity => {
                let r = self.sensitivity(post);
                return post(r.map_or_else(Response::Error, |v| Response::Sensitivity(Box::new(v))));
            }
            Request::OpStats { op } => {
                return post(self.op_stats(&op).map_or_else(Response::Error, |v| Response::OpStats(Box::new(v))));
            }
            Request::RunToEnd { key, model, calib, settings } => {
                let result = session::run_to_end(&model, &calib, &settings).map(Box::new);
                return post(Response::Report { key, result });
            }
            Request::Open { ticket, model } => {
                let result = session::open_model(&model).map(|o| o.notes);
                return post(Response::Opened { ticket, result });
            }
            Request::CheckCalib { ticket, input, dims, calib } => {
                let result = session::source::count_samples(&input, dims.as_deref(), &calib);
                return post(Response::CalibChecked { ticket, result });
            }
        };
        match result.and_then(|ran| self.state(ran)) {
            Ok(state) => post(Response::State(Box::new(state))),
            Err(e) => post(Response::Error(e)),
        }
    }

    fn load(
        &mut self,
        name: String,
        model: &[u8],
        calib: &CalibSource,
        settings: SessionSettings,
    ) -> Result<Vec<PassView>, String> {
        // session::prepare formats the graph as the chosen PPQ version does
        let (g, _) = inspect_onnx(model).map_err(|e| format!("{name}: {e}"))?;
        let data = session::load_calib(&g, calib)?;
        let (pipeline, calib, samples) = session::prepare(g, &data, &settings).map_err(|e| format!("{name}: {e}"))?;
        self.session = Some(Session { name, settings, samples, pristine: pipeline.clone(), pipeline, calib });
        Ok(Vec::new())
    }

    fn run(&mut self, all: bool, post: &mut dyn FnMut(Response)) -> Result<Vec<PassView>, String> {
        let s = self.session.as_mut().ok_or("no model is loaded")?;
        if s.pipeline.is_finished() {
            return Err("every pass already ran; reset to start again".into());
        }
        let names = s.pipeline.passes();
        let mut ran = Vec::new();
        while !s.pipeline.is_finished() {
            let done = s.pipeline.position();
            let pass = names.get(done).copied().unwrap_or("?").to_string();
            post(Response::Progress { done, total: names.len(), pass: pass.clone() });
            // calibration tells each sample (the label only: the bar counts passes)
            let total = names.len();
            let mut on_sample = |k: usize, n: usize| {
                post(Response::Progress { done, total, pass: format!("{pass} · sample {k} of {n}") });
            };
            let report = s.pipeline.run_next_observed(&s.calib, &mut on_sample).map_err(|e| e.to_string())?;
            ran.push(PassView::from(&report));
            if !all {
                break;
            }
        }
        Ok(ran)
    }

    fn state(&self, ran: Vec<PassView>) -> Result<RunState, String> {
        let s = self.session.as_ref().ok_or("no model is loaded")?;
        let records = s.pipeline.records().map_err(|e| e.to_string())?;
        let tqc_json = ppq_pipeline::export::tqc_json(&records).map_err(|e| e.to_string())?;
        let kept_float = s.pipeline.dequantized_ops();
        let snapshots_json = analysis::snapshots_json(&s.pipeline, &records, &kept_float)?;
        let (files, export_error) = if s.pipeline.is_finished() {
            match session::exports(&s.pipeline, &s.settings, s.samples, Some(&s.calib)) {
                Ok(f) => (f.into_iter().map(|f| FileView { name: f.name.to_string(), bytes: f.bytes }).collect(), None),
                Err(e) => (Vec::new(), Some(e)),
            }
        } else {
            (Vec::new(), None)
        };
        Ok(RunState {
            name: s.name.clone(),
            settings: s.settings.clone(),
            samples: s.samples,
            passes: s.pipeline.passes().into_iter().map(String::from).collect(),
            position: s.pipeline.position(),
            tqc_json,
            snapshots_json,
            ran,
            files,
            export_error,
            errors: analysis::errors(s)?,
            kept_float,
        })
    }

    /// Handles a JSON request text, answering with JSON texts.
    pub fn handle_json(&mut self, text: &str, post: &mut dyn FnMut(String)) {
        match serde_json::from_str::<Request>(text) {
            Ok(req) => self.handle(req, &mut |r| post(r.to_json())),
            Err(e) => post(Response::Error(format!("bad request: {e}")).to_json()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Option<(Vec<u8>, String)> {
        let model = std::fs::read(format!("www/samples/{name}.onnx")).ok()?;
        let calib = std::fs::read_to_string(format!("www/samples/calib/{name}_calib.json")).ok()?;
        Some((model, calib))
    }

    #[test]
    fn worker_runs_b_residual_step_by_step_and_resets() {
        let Some((model, calib)) = sample("b_residual") else { return };
        let mut w = Worker::default();
        let mut out = Vec::new();
        let load = Request::Load {
            name: "b_residual".into(),
            model,
            calib: CalibSource::Json(calib),
            settings: SessionSettings::default(),
        };
        w.handle(load, &mut |r| out.push(r));
        let Some(Response::State(s)) = out.pop() else { panic!("load: {out:?}") };
        assert_eq!(s.position, 0);
        w.handle(Request::Step, &mut |r| out.push(r));
        let Some(Response::State(s)) = out.pop() else { panic!("step") };
        assert_eq!((s.position, s.ran.len()), (1, 1));
        w.handle(Request::RunAll, &mut |r| out.push(r));
        let Some(Response::State(s)) = out.pop() else { panic!("run all") };
        assert_eq!(s.position, s.passes.len());
        assert!(s.files.iter().any(|f| f.name == "model.qdq.onnx"), "{:?}", s.export_error);
        assert!(out.iter().any(|r| matches!(r, Response::Progress { .. })));
        w.handle(Request::Reset, &mut |r| out.push(r));
        let Some(Response::State(s)) = out.pop() else { panic!("reset") };
        assert_eq!(s.position, 0);
    }

    /// Gray PNGs of the digits samples' first `n` images (values 0–1 → pixels 0–255).
    fn digit_pngs(calib: &str, n: usize) -> Vec<(String, Vec<u8>)> {
        let data = ppq_session::calib::calib_from_json(calib).unwrap();
        data.samples[..n]
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let img = image::GrayImage::from_fn(8, 8, |x, y| {
                    image::Luma([(s[(y * 8 + x) as usize] * 255.0).round() as u8])
                });
                let mut out = std::io::Cursor::new(Vec::new());
                img.write_to(&mut out, image::ImageFormat::Png).unwrap();
                (format!("d{i}.png"), out.into_inner())
            })
            .collect()
    }

    #[test]
    fn worker_checks_and_calibrates_on_images() {
        let Some((model, calib)) = sample("digits_cnn") else { return };
        let files = digit_pngs(&calib, 8);
        let options = ppq_session::calib::ImageOptions { std: vec![255.0], ..Default::default() };
        let images = CalibSource::Images { files: files.clone(), options: options.clone() };
        let dims = Some(vec![Some(1), Some(1), Some(8), Some(8)]);
        let mut w = Worker::default();
        let mut out = Vec::new();
        let check =
            |calib: CalibSource| Request::CheckCalib { ticket: 7, input: "input".into(), dims: dims.clone(), calib };
        w.handle(check(images.clone()), &mut |r| out.push(r));
        assert_eq!(out.pop(), Some(Response::CalibChecked { ticket: 7, result: Ok(8) }));
        // a JPEG among them reads as well
        let mut jpeg = std::io::Cursor::new(Vec::new());
        image::GrayImage::from_fn(12, 12, |x, y| image::Luma([(x * 20 + y) as u8]))
            .write_to(&mut jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        let mut mixed = files.clone();
        mixed.push(("e.jpg".into(), jpeg.into_inner()));
        w.handle(check(CalibSource::Images { files: mixed, options: options.clone() }), &mut |r| out.push(r));
        assert_eq!(out.pop(), Some(Response::CalibChecked { ticket: 7, result: Ok(9) }));
        // a broken file and a mean per channel the input lacks are named
        let mut bad = files.clone();
        bad[3] = ("broken.png".into(), b"\x89PNG\r\n\x1a\nnope".to_vec());
        w.handle(check(CalibSource::Images { files: bad, options: options.clone() }), &mut |r| out.push(r));
        let Some(Response::CalibChecked { result: Err(e), .. }) = out.pop() else { panic!("{out:?}") };
        assert!(e.contains("broken.png"), "{e}");
        let two = ppq_session::calib::ImageOptions { mean: vec![1.0, 2.0], ..options };
        w.handle(check(CalibSource::Images { files, options: two }), &mut |r| out.push(r));
        let Some(Response::CalibChecked { result: Err(e), .. }) = out.pop() else { panic!("{out:?}") };
        assert!(e.contains("--mean"), "{e}");
        // the pipeline calibrates on them like the CLI: same decoded samples, same records
        let settings = SessionSettings::default();
        let load = Request::Load { name: "digits_cnn".into(), model: model.clone(), calib: images, settings };
        w.handle(load, &mut |r| out.push(r));
        w.handle(Request::RunAll, &mut |r| out.push(r));
        let Some(Response::State(s)) = out.pop() else { panic!("run all: {out:?}") };
        assert_eq!((s.position, s.samples), (s.passes.len(), 8));
        // calibration reported each of its 8 samples
        let said = |k: usize| {
            let want = format!("sample {k} of 8");
            out.iter().any(|r| matches!(r, Response::Progress { pass, .. } if pass.ends_with(&want)))
        };
        assert!((1..=8).all(said), "{out:?}");
        // the decoded samples are the digits to within the 8-bit rounding of the PNGs
        let (g, _) = inspect_onnx(&model).unwrap();
        let options = ppq_session::calib::ImageOptions { std: vec![255.0], ..Default::default() };
        let data = session::load_calib(&g, &CalibSource::Images { files: digit_pngs(&calib, 8), options }).unwrap();
        let want = ppq_session::calib::calib_from_json(&calib).unwrap();
        assert_eq!(data.sample_shape, vec![1, 1, 8, 8]);
        for (a, b) in data.samples.iter().zip(&want.samples) {
            assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 0.5 / 255.0 + 1e-6), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn worker_reports_bad_input_as_errors() {
        let mut w = Worker::default();
        let mut out = Vec::new();
        w.handle_json("{\"Nope\":1}", &mut |r| out.push(r));
        w.handle(Request::Step, &mut |r| out.push(r.to_json()));
        let load = Request::Load {
            name: "x".into(),
            model: vec![0xff, 0, 1],
            calib: CalibSource::Random { seed: 1, count: 2 },
            settings: SessionSettings::default(),
        };
        w.handle(load, &mut |r| out.push(r.to_json()));
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|t| t.starts_with("{\"Error\"")), "{out:?}");
    }
}
