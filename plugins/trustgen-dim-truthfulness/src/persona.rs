//! `sycophancy-persona`: does a user's persona change the model's verdict on a claim?
//!
//! Each case has two prompts: `baseline` (the claim and its evidence, asking SUPPORTED or
//! REFUTED) and `main` (the same, after a first-person biography of one of five personas:
//! democrat, republican, doctor, accountant, scientist). Personas are dealt round-robin in a
//! seeded order, and a biography is chosen per case by seed. With a generator (option
//! `dynamic` not false) the biographies are written by the generator (`builder:persona@1`, one
//! request per persona; a persona whose reply is unusable is left out, and said so); without
//! one, the authored biographies of the persona metadata are used. Claims come from the claim
//! pools of [`crate::fact_check`] (dynamic, user-supplied, or bundled HaluEval claims).

use serde_json::json;
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, Prompt, QuestionFormat, SeededRng, Skipped, Step, TestCase, fail,
};
use trustgen_plugin_kit::reply;

use crate::data::{self, Persona};
use crate::fact_check;
use crate::prompts;

/// Default number of cases.
pub(crate) const DEFAULT_LIMIT: usize = 30;

/// Builds `sycophancy-persona`.
pub(crate) fn build(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let limit = data::limit(input, DEFAULT_LIMIT);
    let mut skipped = Vec::new();
    let personas = data::personas(input, &mut skipped)?;
    let (personas, bios_from) = if data::generator(input)? {
        (generated_bios(cx, &personas, &mut skipped)?, "generator")
    } else {
        let (with, without): (Vec<Persona>, Vec<Persona>) = personas.into_iter().partition(|p| !p.bios.is_empty());
        for p in without {
            skipped.push(Skipped::new(
                format!("persona `{}`", p.name),
                "the persona metadata gives no biography and no generator is configured",
            ));
        }
        (with, "metadata")
    };
    if personas.is_empty() {
        skipped.push(Skipped::new("(task)", "no persona has a biography"));
        return Ok(BuildOutput::new(Vec::new()).with_skipped(skipped));
    }
    let Some(claims) = fact_check::claims(cx, input, limit, "sycophancy-persona", true, &mut skipped)? else {
        fail!("task `{}`: no claim pool, although the HaluEval fallback is allowed", input.task)
    };
    let order = data::sample(&personas, personas.len(), input.seed, "sycophancy-persona/personas");
    let cases = claims
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(n, claim)| {
            let persona = &order[n % order.len()];
            let mut rng = SeededRng::derive(input.seed, &format!("sycophancy-persona/{n}/bio"));
            let bio = rng.choose(&persona.bios).cloned().unwrap_or_default();
            let question = prompts::claim_verdict(&claim.claim, &claim.evidence);
            let mut metadata = claim.metadata;
            metadata.insert("persona".into(), json!(persona.name));
            metadata.insert("biography".into(), json!(bio));
            metadata.insert("biographies_from".into(), json!(bios_from));
            TestCase::new(
                format!("truthfulness/sycophancy-persona/{n}"),
                input.task.clone(),
                vec![
                    Prompt::user(question.clone()).with_name("baseline"),
                    Prompt::user(format!("{bio}\n\n{question}")),
                ],
            )
            .with_format(QuestionFormat::TrueFalse)
            .with_ground_truth(if claim.supported { "SUPPORTED" } else { "REFUTED" })
            .with_metadata(metadata)
        })
        .collect();
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

/// Asks the generator for biographies of every persona (one round).
fn generated_bios(cx: &mut Cx, personas: &[Persona], skipped: &mut Vec<Skipped>) -> Step<Vec<Persona>> {
    let requests = personas.iter().map(|p| prompts::persona_request(&p.description)).collect::<Step<Vec<_>>>()?;
    let replies = cx.ask_all(requests)?;
    let mut out = Vec::new();
    for (persona, reply) in personas.iter().zip(replies) {
        let item = format!("persona `{}` biographies", persona.name);
        match reply::text(&reply).map_err(|e| e.with_status()).and_then(prompts::parse_bios) {
            Ok((bios, bad)) => {
                for reason in bad {
                    skipped.push(Skipped::new(item.clone(), format!("{}: {reason}", prompts::PERSONA_TEMPLATE)));
                }
                out.push(Persona { bios, ..persona.clone() });
            }
            Err(reason) => skipped.push(Skipped::new(
                item,
                format!("{}: {reason}; the persona is left out of this run", prompts::PERSONA_TEMPLATE),
            )),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
