#!/usr/bin/env python3
"""Asks the referees what they make of every corpus model: onnx.checker (full check, with shape inference) and
an onnxruntime CPU session. Writes tests/corpus/runtimes.json, which tests/robust_corpus.rs reads: every model
a referee refuses must be refused by the playground too, unless listed in ALLOWED_DIFFERENCES there.

Run from the repository root after scripts/gen_bad_corpus.py:  python3 scripts/check_corpus_runtimes.py
Needs onnx and onnxruntime (checked with onnx 1.23.2, onnxruntime 1.32.0); fails loudly without them.
"""
import json
import pathlib
import sys

import onnx
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "corpus"


def first_line(e):
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def checker(data):
    try:
        m = onnx.load_from_string(data)
        onnx.checker.check_model(m, full_check=True)
        return None
    except Exception as e:  # noqa: BLE001 — any refusal counts, its text is recorded
        return first_line(e)


def runtime(data):
    try:
        opts = ort.SessionOptions()
        opts.log_severity_level = 4
        ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        return None
    except Exception as e:  # noqa: BLE001
        return first_line(e)


def main():
    manifest = json.loads((ROOT / "manifest.json").read_text())
    out = {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "models": []}
    for case in manifest["models"]:
        data = (ROOT / case["file"]).read_bytes()
        row = {"file": case["file"], "playground": case["error"], "checker": checker(data), "onnxruntime": runtime(data)}
        out["models"].append(row)
        print(f"{case['file']:45} checker={'ok' if row['checker'] is None else 'REFUSED'} "
              f"ort={'ok' if row['onnxruntime'] is None else 'REFUSED'} ours={'ok' if not case['error'] else 'REFUSED'}")
    (ROOT / "runtimes.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {ROOT / 'runtimes.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
