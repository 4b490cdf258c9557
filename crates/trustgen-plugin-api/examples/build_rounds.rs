//! Benchmark: a `build` over 10,000 data rows that takes 3 rounds of model
//! requests (4 calls), driven through the real JSON bridge the way the engine
//! drives it (`step::Session`).
//!
//! `cargo run --release -p trustgen-plugin-api --example build_rounds`
//!
//! It times the same build twice: as the bridge runs it (the input is parsed
//! on the first call and taken from the bridge's input cache on the next
//! three), and with the input parsed on every call, as the bridge did before
//! the cache (forced here by giving each call a different seed, so no call
//! finds its input in the cache).

#![allow(unexpected_cfgs)]

use std::time::{Duration, Instant};

use abi_stable::std_types::{RResult, RSlice};
use serde_json::value::RawValue;
use trustgen_plugin_api::abi::PluginBox;
use trustgen_plugin_api::sdk::methods;
use trustgen_plugin_api::step::{Next, Session};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, Dimension, LinkedPlugin, Manifest, ModelReply, ModelRequest, ModelRole, ScoreInput,
    Step, TestCase, Verdict,
};

const ROWS: usize = 10_000;
const ROUNDS: usize = 3;
const RUNS: usize = 20;
const CATEGORIES: [&str; 3] = ["geography", "history", "science"];

/// Counts its rows and asks the generator once per round.
struct Rows;

impl Dimension for Rows {
    fn manifest(&self) -> Manifest {
        Manifest::default()
    }

    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        let rows = input.data.get("rows").map_or(0, Vec::len);
        for round in 0..ROUNDS {
            cx.ask(ModelRequest::user(ModelRole::Generator, format!("round {round} over {rows} rows")))?;
        }
        Ok(BuildOutput::new(vec![TestCase::default().with_id(format!("rows/{rows}"))]))
    }

    fn score(&self, _cx: &mut Cx, _input: &ScoreInput) -> Step<Verdict> {
        Ok(Verdict::default())
    }
}

trustgen_plugin_api::export_plugin!(name: "rows", dimension: Rows);

fn input(seed: u64) -> BuildInput {
    let rows = (0..ROWS)
        .map(|i| {
            serde_json::json!({
                "id": format!("row-{i}"),
                "question": format!("What is the capital of country number {i}? Answer with one word."),
                "answer": format!("City {i}"),
                "category": CATEGORIES[i % 3],
                "difficulty": i % 5,
            })
        })
        .collect();
    BuildInput::new("rows", seed).with_data([("rows".to_string(), rows)].into())
}

/// One build, driven like the engine drives it: call `n` sends `inputs[n]`,
/// serialized beforehand (the engine serializes an input once).
fn build(object: &PluginBox, inputs: &[&RawValue]) -> BuildOutput {
    let mut session = Session::new("rows", methods::BUILD);
    let mut call = 0;
    loop {
        let envelope = session.envelope(inputs[call]).expect("the envelope serializes");
        call += 1;
        let output = match object.call(methods::BUILD.into(), envelope.as_str().into(), RSlice::from_slice(&[])) {
            RResult::ROk(json) => json,
            RResult::RErr(err) => panic!("build failed: {err}"),
        };
        match session.accept::<BuildOutput>(&output).expect("a valid output") {
            Next::Done(output) => return output,
            Next::Need(requests) => {
                session.answer(requests.iter().map(|_| ModelReply::text("ok")).collect()).expect("one reply each")
            }
        }
    }
}

/// Times `RUNS` builds; build `r` sends `inputs[r]`, one raw input per call.
fn time(object: &PluginBox, inputs: &[Vec<&RawValue>]) -> Duration {
    let start = Instant::now();
    for run in inputs {
        assert_eq!(build(object, run).cases[0].id, format!("rows/{ROWS}"));
    }
    start.elapsed() / inputs.len() as u32
}

fn main() {
    let linked = LinkedPlugin::all().find(|p| p.declaration.name() == "rows").expect("the example plugin is linked");
    let object = match (linked.new)() {
        RResult::ROk(object) => object,
        RResult::RErr(err) => panic!("{err}"),
    };
    let calls = ROUNDS + 1;
    // A new input for every build (as the engine builds each task once), and
    // for the "before" path a new input for every call too, so that no call
    // finds its input in the bridge's cache. All serialized before timing.
    let raw: Vec<Box<RawValue>> = (0..(RUNS * (calls + 1)) as u64)
        .map(|seed| serde_json::value::to_raw_value(&input(seed)).expect("the input serializes"))
        .collect();
    let (per_build, per_call) = raw.split_at(RUNS);
    let cached: Vec<Vec<&RawValue>> = per_build.iter().map(|r| vec![&**r; calls]).collect();
    let uncached: Vec<Vec<&RawValue>> = per_call.chunks(calls).map(|c| c.iter().map(|r| &**r).collect()).collect();
    println!(
        "build over {ROWS} rows ({:.1} MB of input JSON), {ROUNDS} rounds = {calls} calls, mean of {RUNS} builds",
        raw[0].get().len() as f64 / 1e6,
    );
    // Warm up (the seeds of the warm-up input are not reused below).
    let warm = serde_json::value::to_raw_value(&input(u64::MAX)).expect("the input serializes");
    build(&object, &vec![&*warm; calls]);
    let cached = time(&object, &cached);
    let uncached = time(&object, &uncached);
    println!("input parsed once, cached for later rounds: {:>8.2} ms per build", cached.as_secs_f64() * 1e3);
    println!("input parsed on every call (as before):     {:>8.2} ms per build", uncached.as_secs_f64() * 1e3);
}
