//! The checks made once every run has ended: the journal (every run ended with its answer, each
//! turn answered once, nothing unfinished), the ledger (no non-idempotent effect twice, one key
//! per call), the outcomes (every call id answered once; each result says what the ledger
//! saw).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::Value;
use tool_runtime::Message;
use tool_runtime::conversation::{AssistantMessage, ToolCall, ToolResult};
use tool_runtime::journal::{Entry, Journal, SqliteJournal};
use tool_runtime::tool::ToolError;

use super::{ChildConfig, DENIED, Tool, approves, prompt, run_id, tag_turn};

/// What the checks counted.
#[derive(Debug, Default, Clone)]
pub(crate) struct Figures {
    /// Runs given to the children.
    pub(crate) runs: usize,
    /// Runs whose outcome a child wrote.
    pub(crate) outputs: usize,
    /// Runs whose child was killed after the run ended and before it wrote the outcome (checked
    /// through the journal and the ledger alone).
    pub(crate) outcomes_lost: usize,
    /// Lines in the ledger.
    pub(crate) effects: usize,
    /// Effects of a non-idempotent call beyond its first (must be 0).
    pub(crate) duplicates: usize,
    /// Effects of an idempotent call beyond its first, each with the call's one key.
    pub(crate) idempotent_repeats: usize,
    /// Runs of a read-only call beyond its first.
    pub(crate) read_only_repeats: usize,
    /// Calls answered `Interrupted` in the outcomes.
    pub(crate) interrupted: usize,
    /// …of which had taken effect before the crash.
    pub(crate) interrupted_with_effect: usize,
    /// `pay` calls the person denied, in the outcomes.
    pub(crate) denied: usize,
    /// Recoveries of a run listed unfinished that answered `Ended` (its last child was killed
    /// after the run's `ended` step, before the journal marked it ended).
    pub(crate) recovered_as_ended: usize,
}

/// One line of the ledger: `tool run key tag`.
#[derive(Debug, Clone)]
struct Effect {
    tool: Tool,
    key: String,
}

/// Every check; the problems found go to `problems`.
pub(crate) fn check(
    runtime: &tokio::runtime::Runtime,
    journal: &SqliteJournal,
    config: &ChildConfig,
    problems: &mut Vec<String>,
) -> Figures {
    let mut figures = Figures {
        runs: config.runs,
        ..Figures::default()
    };
    let read = |id: &str| {
        runtime
            .block_on(journal.entries(id))
            .expect("the journal can be read")
    };

    let unfinished = runtime
        .block_on(journal.unfinished())
        .expect("the unfinished runs");
    for id in &unfinished {
        let entries = read(id);
        let last = entries.last().map_or("none", Entry::kind);
        problems.push(format!(
            "{id} is still listed unfinished in the journal (its last step: `{last}`): {}",
            describe(&entries)
        ));
    }
    let mut final_texts = HashMap::new();
    for index in 0..config.runs {
        let id = run_id(index);
        if let Some(text) = check_journal(&id, &read(&id), problems) {
            final_texts.insert(id, text);
        }
    }

    let effects = check_ledger(&config.ledger, &mut figures, problems);

    let mut outputs: HashMap<String, Vec<Message>> = HashMap::new();
    let mut ended_unfinished: BTreeMap<String, usize> = BTreeMap::new();
    for line in lines(&config.outcomes) {
        let Ok(outcome) = serde_json::from_str::<Value>(&line) else {
            // A child killed while it wrote: that run's outcome is lost, the journal has it.
            continue;
        };
        let run = outcome["run"].as_str().unwrap_or_default().to_owned();
        match outcome["kind"].as_str() {
            Some("output") => {
                let messages: Vec<Message> = serde_json::from_value(outcome["messages"].clone())
                    .unwrap_or_else(|error| panic!("{run}'s transcript cannot be read: {error}"));
                let text = outcome["text"].as_str().unwrap_or_default();
                if final_texts.get(&run).map(String::as_str) != Some(text) {
                    problems.push(format!(
                        "{run} answered {text:?}, its journal {:?}",
                        final_texts.get(&run)
                    ));
                }
                if outputs.insert(run.clone(), messages).is_some() {
                    problems.push(format!("{run} ended twice"));
                }
            }
            _ => *ended_unfinished.entry(run).or_default() += 1,
        }
    }
    figures.recovered_as_ended = ended_unfinished.values().sum();
    figures.outputs = outputs.len();
    figures.outcomes_lost = config.runs - outputs.len();

    for (run, messages) in &outputs {
        let calls = check_transcript(run, messages, problems);
        check_results(run, &calls, &effects, &mut figures, problems);
    }
    figures
}

/// The kinds of a run's entries, for a report.
pub(crate) fn describe(entries: &[Entry]) -> String {
    let kinds: Vec<&str> = entries.iter().map(Entry::kind).collect();
    format!("[{}]", kinds.join(", "))
}

/// Checks the journal of the run `id`: it ended with an answer, each turn answered once, in
/// order. Its final answer.
fn check_journal(id: &str, entries: &[Entry], problems: &mut Vec<String>) -> Option<String> {
    let steps: Vec<Value> = entries
        .iter()
        .map(|entry| serde_json::from_str(entry.json()).expect("a journal entry is JSON"))
        .collect();
    let ended = steps
        .last()
        .is_some_and(|step| step["kind"] == "ended" && step["outcome"] == "answered");
    if !ended {
        problems.push(format!(
            "{id} did not end with an answer: {}",
            describe(entries)
        ));
        return None;
    }
    let answered: Vec<&Value> = steps
        .iter()
        .filter(|step| step["kind"] == "answered")
        .collect();
    let turns: Vec<u64> = answered
        .iter()
        .filter_map(|step| step["turn"].as_u64())
        .collect();
    if !turns.iter().copied().eq(1..=turns.len() as u64) {
        problems.push(format!(
            "{id}'s journal answers turns {turns:?} (each turn once, in order): {}",
            describe(entries)
        ));
    }
    let last: AssistantMessage = serde_json::from_value(answered.last()?["message"].clone())
        .expect("an answered step holds a message");
    match last.text {
        Some(text)
            if last.tool_calls.is_empty() && text.starts_with(&format!("All done for {id} (")) =>
        {
            Some(text)
        }
        _ => {
            problems.push(format!(
                "{id}'s last answer is not its final answer: {last:?}"
            ));
            None
        }
    }
}

/// The lines of an append-only file (each written as `\n{line}\n`), empty ones left out.
fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks the ledger: one key per call (per tag), a non-idempotent call's effect once at most.
/// The effects by tag.
fn check_ledger(
    path: &Path,
    figures: &mut Figures,
    problems: &mut Vec<String>,
) -> HashMap<String, Vec<Effect>> {
    let mut effects: HashMap<String, Vec<Effect>> = HashMap::new();
    for line in lines(path) {
        let fields: Vec<&str> = line.split(' ').collect();
        let [tool, run, key, tag] = fields[..] else {
            problems.push(format!("a ledger line cannot be read: {line:?}"));
            continue;
        };
        let Some(tool) = Tool::from_name(tool) else {
            problems.push(format!("a ledger line names no tool: {line:?}"));
            continue;
        };
        if !tag.starts_with(&format!("{run}.t")) || !key.starts_with(&format!("{run}/")) {
            problems.push(format!("an effect outside its run: {line:?}"));
        }
        figures.effects += 1;
        effects.entry(tag.to_owned()).or_default().push(Effect {
            tool,
            key: key.to_owned(),
        });
    }
    for (tag, seen) in &effects {
        let keys: HashSet<&str> = seen.iter().map(|effect| effect.key.as_str()).collect();
        if keys.len() > 1 {
            problems.push(format!("the call {tag} ran under several keys: {keys:?}"));
        }
        let again = seen.len() - 1;
        match seen[0].tool {
            Tool::Reserve => figures.idempotent_repeats += again,
            Tool::Price => figures.read_only_repeats += again,
            Tool::Charge | Tool::Pay if again > 0 => {
                figures.duplicates += again;
                problems.push(format!(
                    "the non-idempotent call {tag} took effect {} times (keys {keys:?})",
                    seen.len()
                ));
            }
            Tool::Charge | Tool::Pay => {}
        }
    }
    effects
}

/// Checks a run's transcript: it starts with the run's prompt, every call is answered once,
/// right after its message, and it ends with the final answer. Its calls with their results.
fn check_transcript<'m>(
    run: &str,
    messages: &'m [Message],
    problems: &mut Vec<String>,
) -> Vec<(&'m ToolCall, &'m ToolResult)> {
    let mut pairs = Vec::new();
    let mut problem = |what: String| problems.push(format!("{run}'s transcript: {what}"));
    if !matches!(messages.first(), Some(Message::User { text, .. }) if *text == prompt(run)) {
        problem(format!("it starts with {:?}", messages.first()));
    }
    let mut ids = HashSet::new();
    let mut at = 0;
    while at < messages.len() {
        match &messages[at] {
            Message::Assistant(message) if !message.tool_calls.is_empty() => {
                let Some(Message::ToolResults { results }) = messages.get(at + 1) else {
                    problem(format!("the calls of message {at} are not answered"));
                    at += 1;
                    continue;
                };
                let calls: Vec<&str> = message.tool_calls.iter().map(|c| c.id.as_str()).collect();
                let answers: Vec<&str> = results.iter().map(|r| r.call_id.as_str()).collect();
                if calls != answers {
                    problem(format!("calls {calls:?} are answered by {answers:?}"));
                }
                for id in calls {
                    if !ids.insert(id) {
                        problem(format!("the call id {id} is in it twice"));
                    }
                }
                pairs.extend(message.tool_calls.iter().zip(results));
                at += 2;
            }
            Message::ToolResults { .. } => {
                problem(format!("message {at} answers no calls"));
                at += 1;
            }
            _ => at += 1,
        }
    }
    match messages.last() {
        Some(Message::Assistant(last)) if last.tool_calls.is_empty() && last.text.is_some() => {}
        other => problem(format!("it ends with {other:?}")),
    }
    pairs
}

/// Checks what each call's result says against the ledger: a result means an effect (once for
/// a non-idempotent tool), `Interrupted` only for a tool that may not run again and at most one
/// effect, a denial no effect; each effect under the key `run/turn/call id`; no effect of a call
/// that is not in the transcript.
fn check_results(
    run: &str,
    calls: &[(&ToolCall, &ToolResult)],
    effects: &HashMap<String, Vec<Effect>>,
    figures: &mut Figures,
    problems: &mut Vec<String>,
) {
    let mut tags = HashSet::new();
    for (call, result) in calls {
        let tag: String = call.arguments.get("tag").unwrap_or_default();
        let Some(tool) = Tool::from_name(&call.name) else {
            problems.push(format!("{run}: a call of an unknown tool: {call:?}"));
            continue;
        };
        tags.insert(tag.clone());
        let seen = effects.get(&tag).map_or(&[][..], Vec::as_slice);
        // `run/turn/call id`: the turn that asked for the call (its tag says which), on every
        // attempt.
        let key = match tag_turn(&tag) {
            Some(turn) => format!("{run}/{turn}/{}", call.id),
            None => {
                problems.push(format!("{run}: the call {} has no tag", call.id));
                continue;
            }
        };
        if let Some(other) = seen.iter().find(|effect| effect.key != key) {
            problems.push(format!(
                "{run}: {tag} ran under the key {}, not {key}",
                other.key
            ));
        }
        let mut problem = |what: &str| {
            problems.push(format!(
                "{run}: {tag} ({}) {what}, with {} effects: {result:?}",
                tool.name(),
                seen.len()
            ));
        };
        // A transcript read back from JSON carries an error as its text (as the model read it).
        let content = result.content();
        if !result.is_error() {
            if content != tool.result() {
                problem("returned something else");
            }
            if seen.is_empty() {
                problem("has a result and no effect");
            }
            if tool == Tool::Pay && !approves(&tag) {
                problem("ran though denied");
            }
        } else if content == ToolError::Interrupted.to_string() {
            figures.interrupted += 1;
            figures.interrupted_with_effect += usize::from(!seen.is_empty());
            if tool.may_repeat() {
                problem("was answered Interrupted though it may run again");
            }
            if tool == Tool::Pay && !approves(&tag) {
                problem("was interrupted though denied");
            }
        } else if content == DENIED {
            figures.denied += 1;
            if tool != Tool::Pay || approves(&tag) || !seen.is_empty() {
                problem("was denied");
            }
        } else {
            problem("failed");
        }
    }
    for tag in effects
        .keys()
        .filter(|tag| tag.starts_with(&format!("{run}.t")))
    {
        if !tags.contains(tag) {
            problems.push(format!(
                "{run}: the call {tag} took effect and is not in the transcript"
            ));
        }
    }
}
