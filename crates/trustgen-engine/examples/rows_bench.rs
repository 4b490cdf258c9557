//! Peak memory and time of reading a VQAv2-sized annotations file: the host's streamed, sampled
//! loader ([`trustgen_engine::rows::load_json_streamed`]) against parsing the whole file into
//! JSON values (what a plain loader does).
//!
//! ```text
//! cargo run --release -p trustgen-engine --example rows_bench -- gen  /tmp/vqa.json [ROWS]
//! cargo run --release -p trustgen-engine --example rows_bench -- streamed /tmp/vqa.json [KEYS]
//! cargo run --release -p trustgen-engine --example rows_bench -- whole /tmp/vqa.json
//! ```
//!
//! `gen` writes a synthetic file in the layout of `v2_mscoco_val2014_annotations.json` (default
//! 214,354 annotations of ten answers each, like the real val split); each measuring mode runs in
//! its own process and prints its wall time and peak resident memory (VmHWM).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

fn generate(path: &Path, rows: usize) -> std::io::Result<()> {
    let words = ["red", "blue", "2", "yes", "no", "tennis", "kitchen", "dog", "frisbee", "3", "white", "pizza"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(
        out,
        r#"{{"info": {{"description": "synthetic, VQAv2 layout"}}, "license": {{}}, "data_subtype": "val2014", "annotations": ["#
    )?;
    for i in 0..rows {
        let image_id = 100_000 + i / 5;
        let answers: Vec<String> = (0..10)
            .map(|a| {
                let w = words[(i * 7 + a * (i % 3)) % words.len()];
                format!(r#"{{"answer": "{w}", "answer_confidence": "yes", "answer_id": {}}}"#, a + 1)
            })
            .collect();
        let sep = if i + 1 == rows { "" } else { ", " };
        write!(
            out,
            r#"{{"question_type": "what color is the", "multiple_choice_answer": "{}", "answers": [{}], "image_id": {image_id}, "answer_type": "other", "question_id": {}}}{sep}"#,
            words[i % words.len()],
            answers.join(", "),
            image_id * 1000 + i % 5
        )?;
    }
    write!(out, "]}}")?;
    out.flush()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: rows_bench gen|streamed|whole PATH [N]");
        std::process::exit(2);
    };
    let path = Path::new(path);
    let n: Option<usize> = args.get(2).and_then(|n| n.parse().ok());
    let start = Instant::now();
    match mode.as_str() {
        "gen" => {
            generate(path, n.unwrap_or(214_354)).expect("writing the synthetic file");
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            println!("wrote {} ({:.1} MiB)", path.display(), size as f64 / (1024.0 * 1024.0));
            return;
        }
        "streamed" => {
            let sample = trustgen_engine::rows::Sample { key: "question_id".into(), keys: n.unwrap_or(200), seed: 7 };
            let (rows, record) =
                trustgen_engine::rows::load_json_streamed(path, "vqa.json", Some("annotations"), Some(&sample))
                    .expect("loading");
            let in_file = record.sample.map(|s| s.rows_in_file).unwrap_or(0);
            println!("streamed: kept {} of {in_file} rows", rows.len());
        }
        "whole" => {
            let bytes = std::fs::read(path).expect("reading");
            let value: serde_json::Value = serde_json::from_slice(&bytes).expect("parsing");
            let rows = value["annotations"].as_array().map_or(0, Vec::len);
            println!("whole: parsed {rows} rows");
        }
        other => panic!("unknown mode {other}"),
    }
    println!("  wall {:.2} s, peak RSS {:.1} MiB", start.elapsed().as_secs_f64(), peak_rss_mib());
}
