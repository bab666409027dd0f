//! [`OfflineModel`]: a model that runs locally, for first runs, demos and tests.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value, json};

use crate::chat::{
    AssistantMessage, ChatRequest, Message, ModelResponse, Provider, ProviderFuture, StopReason,
    Usage,
};
use crate::provider::{Error, ErrorKind};
use crate::run::ToolCall;
use crate::tool::Arguments;

/// A model that plays its part locally, with no network and no API key.
///
/// It goes through the same [`Agent`](crate::Agent) loop, toolbox and message history as the real
/// providers, so what works offline works online. Two modes:
///
/// - **Automatic** ([`OfflineModel::new`]): on the first turn after the user speaks it calls
///   every tool in one parallel batch (one tool per turn when parallel calls are off), with
///   arguments generated from each tool's JSON Schema — valid for the schema: enums pick a
///   variant, numbers respect their bounds, tuples get one value per position, optional fields
///   are sometimes left out (a string `pattern` is not followed). String
///   arguments come from the capitalized words of the prompt when it has some (ALL-CAPS words for
///   parameters named like codes or currencies), so demos read naturally. On the next turn it
///   answers with a text that quotes every result it received. Deterministic for a given seed.
/// - **Scripted** ([`OfflineModel::scripted`]): it returns exactly the turns you give it, for
///   tests of your own code.
///
/// Either way it records the requests it receives ([`requests`](Self::requests)).
///
/// ```
/// use tool_runtime::{Agent, OfflineModel, tool, tools};
///
/// /// Get the current weather for a city.
/// #[tool]
/// async fn get_weather(city: String) -> String {
///     format!("Sunny in {city}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let agent = Agent::new(OfflineModel::new(), tools![get_weather]);
/// let output = agent.run("What's the weather in Tokyo?").await.unwrap();
/// assert_eq!(output.turns, 2);
/// assert!(output.text.contains("Sunny in Tokyo"));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct OfflineModel {
    mode: Mode,
    seed: u64,
    log: Arc<Mutex<Vec<RecordedRequest>>>,
}

type Responder = Arc<dyn Fn(&RecordedRequest) -> AssistantMessage + Send + Sync>;

#[derive(Clone)]
enum Mode {
    Automatic,
    Scripted(Arc<Mutex<VecDeque<AssistantMessage>>>),
    Responder(Responder),
}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Automatic => f.write_str("Automatic"),
            Self::Scripted(turns) => f
                .debug_tuple("Scripted")
                .field(&turns.lock().unwrap_or_else(PoisonError::into_inner).len())
                .finish(),
            Self::Responder(_) => f.write_str("Responder"),
        }
    }
}

/// A request an [`OfflineModel`] received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The system prompt.
    pub system: Option<String>,
    /// The conversation, as sent.
    pub messages: Vec<Message>,
    /// The names of the tools offered.
    pub tools: Vec<String>,
    /// Whether parallel tool calls were allowed.
    pub parallel_tool_calls: bool,
}

impl Default for OfflineModel {
    fn default() -> Self {
        Self::new()
    }
}

impl OfflineModel {
    /// The automatic model, with seed 0.
    pub fn new() -> Self {
        Self {
            mode: Mode::Automatic,
            seed: 0,
            log: Arc::default(),
        }
    }

    /// The automatic model with another seed (other argument values, the same shape).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// A model that answers with these turns, in order; one request past the end is an error.
    ///
    /// ```
    /// use serde_json::json;
    /// use tool_runtime::{Agent, AssistantMessage, OfflineModel, ToolCall, tool, tools};
    ///
    /// /// Add two numbers.
    /// #[tool]
    /// fn add(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let model = OfflineModel::scripted([
    ///     AssistantMessage::calls([ToolCall::new("call_1", "add", json!({"a": 2, "b": 3}))]),
    ///     AssistantMessage::text("2 + 3 = 5"),
    /// ]);
    /// let output = Agent::new(model.clone(), tools![add]).run("2+3?").await.unwrap();
    /// assert_eq!(output.text, "2 + 3 = 5");
    /// // What the model was sent on its second turn: the result of `add`.
    /// let second = &model.requests()[1];
    /// assert_eq!(second.messages.len(), 3);
    /// # }
    /// ```
    pub fn scripted(turns: impl IntoIterator<Item = AssistantMessage>) -> Self {
        Self {
            mode: Mode::Scripted(Arc::new(Mutex::new(turns.into_iter().collect()))),
            seed: 0,
            log: Arc::default(),
        }
    }

    /// A model whose every answer is computed by `respond` from the request, for conversations
    /// whose next step depends on earlier tool results.
    ///
    /// ```
    /// use tool_runtime::{AssistantMessage, Message, OfflineModel};
    ///
    /// let echo = OfflineModel::responder(|request| {
    ///     let said = request.messages.len();
    ///     AssistantMessage::text(format!("{said} message(s) so far"))
    /// });
    /// ```
    pub fn responder(
        respond: impl Fn(&RecordedRequest) -> AssistantMessage + Send + Sync + 'static,
    ) -> Self {
        Self {
            mode: Mode::Responder(Arc::new(respond)),
            seed: 0,
            log: Arc::default(),
        }
    }

    /// Every request received so far, oldest first (clones share the log).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn respond(&self, request: &ChatRequest<'_>) -> Result<AssistantMessage, Error> {
        match &self.mode {
            Mode::Scripted(turns) => turns
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front()
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        "offline",
                        "the scripted model has no turns left",
                    )
                }),
            Mode::Automatic => Ok(self.automatic(request)),
            Mode::Responder(respond) => {
                // Not called under the lock: the responder may read `requests()` itself.
                let last = self
                    .log
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .last()
                    .cloned();
                match last {
                    Some(recorded) => Ok(respond(&recorded)),
                    None => Err(Error::new(
                        ErrorKind::Config,
                        "offline",
                        "no request recorded",
                    )),
                }
            }
        }
    }

    fn automatic(&self, request: &ChatRequest<'_>) -> AssistantMessage {
        // What happened since the user last spoke: which tools were called, what came back.
        let since_user = request
            .messages
            .iter()
            .rposition(|message| matches!(message, Message::User { .. }))
            .map_or(request.messages, |at| &request.messages[at..]);
        let prompt = match since_user.first() {
            Some(Message::User { text }) => text.as_str(),
            _ => "",
        };
        let called: Vec<&str> = since_user
            .iter()
            .flat_map(Message::tool_calls)
            .map(|call| call.name.as_str())
            .collect();
        let uncalled: Vec<_> = request
            .toolbox
            .iter()
            .filter(|tool| !called.contains(&tool.definition().name()))
            .collect();
        let first_turn = called.is_empty();
        let more_to_call = !request.parallel_tool_calls && !first_turn;
        if !uncalled.is_empty()
            && (first_turn || more_to_call)
            && *request.tool_choice != crate::ToolChoice::None
        {
            let take = if request.parallel_tool_calls {
                uncalled.len()
            } else {
                1
            };
            let mut rng = Rng::new(self.seed ^ (since_user.len() as u64).wrapping_mul(0x9E37));
            let mut words = PromptWords::new(prompt);
            let offset = request
                .messages
                .iter()
                .map(|message| message.tool_calls().len())
                .sum::<usize>();
            let mut calls: Vec<ToolCall> = Vec::new();
            for tool in uncalled.iter().take(take) {
                let schema = tool.definition().parameters();
                // A tool that takes a name is called once per name the prompt mentions
                // ("Tokyo and London" → two calls), as a model would.
                let repeat = if request.parallel_tool_calls {
                    words.names_for(schema).clamp(1, 4)
                } else {
                    1
                };
                for _ in 0..repeat {
                    let arguments = sample(schema, schema, &mut rng, &mut words, "", 0);
                    calls.push(ToolCall {
                        id: format!("call_{}", offset + calls.len() + 1),
                        name: tool.definition().name().to_owned(),
                        arguments: Arguments::Text(arguments.to_string()),
                    });
                }
            }
            return AssistantMessage::calls(calls);
        }
        AssistantMessage::text(summary(since_user))
    }
}

/// "Here is what the tools returned: …", or an echo when there was nothing to call.
fn summary(since_user: &[Message]) -> String {
    let replies: Vec<_> = since_user
        .iter()
        .filter_map(|message| match message {
            Message::ToolResults { results } => Some(results),
            _ => None,
        })
        .flatten()
        .collect();
    if replies.is_empty() {
        return match since_user.first() {
            Some(Message::User { text }) => format!("(offline model) You said: {text}"),
            _ => "(offline model) Nothing to answer.".to_owned(),
        };
    }
    let mut text = String::from("(offline model) Here is what the tools returned:");
    for reply in replies {
        let marker = if reply.is_error { " (error)" } else { "" };
        let _ = write!(text, "\n- {}{marker}: {}", reply.name, reply.content);
    }
    text
}

impl AssistantMessage {
    /// An assistant message that is only text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// An assistant message that only calls tools.
    pub fn calls(calls: impl IntoIterator<Item = ToolCall>) -> Self {
        Self {
            tool_calls: calls.into_iter().collect(),
            ..Self::default()
        }
    }
}

impl Provider for OfflineModel {
    fn name(&self) -> String {
        match self.mode {
            Mode::Automatic => "offline".to_owned(),
            Mode::Scripted(_) => "offline/scripted".to_owned(),
            Mode::Responder(_) => "offline/responder".to_owned(),
        }
    }

    fn complete<'a>(&'a self, request: ChatRequest<'a>) -> ProviderFuture<'a> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RecordedRequest {
                system: request.system.map(str::to_owned),
                messages: request.messages.to_vec(),
                tools: request.toolbox.names().map(str::to_owned).collect(),
                parallel_tool_calls: request.parallel_tool_calls,
            });
        let response = self.respond(&request).map(|message| {
            let read: usize = request.messages.iter().map(approximate_tokens).sum();
            let written = approximate_tokens(&Message::Assistant(message.clone()));
            ModelResponse {
                stop_reason: if message.tool_calls.is_empty() {
                    StopReason::EndTurn
                } else {
                    StopReason::ToolUse
                },
                message,
                usage: Usage {
                    input_tokens: read as u64,
                    output_tokens: written as u64,
                    ..Usage::default()
                },
            }
        });
        Box::pin(async move { response })
    }
}

/// About four characters a token, as the providers' rule of thumb goes.
fn approximate_tokens(message: &Message) -> usize {
    let chars = match message {
        Message::User { text } => text.len(),
        Message::Assistant(assistant) => {
            assistant.text.as_ref().map_or(0, String::len)
                + assistant
                    .tool_calls
                    .iter()
                    .map(|call| call.name.len() + call.arguments.to_json_string().len())
                    .sum::<usize>()
        }
        Message::ToolResults { results } => results.iter().map(|r| r.content.len()).sum(),
    };
    chars.div_ceil(4)
}

/// splitmix64: small, fast, and the same everywhere for a seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// Capitalized words of the prompt, handed out in turn: `Tokyo`, `London`; `USD`, `JPY`.
struct PromptWords {
    names: Vec<String>,
    codes: Vec<String>,
    next_name: usize,
    next_code: usize,
}

impl PromptWords {
    fn new(prompt: &str) -> Self {
        let mut names = Vec::new();
        let mut codes = Vec::new();
        // The first word is capitalized because it starts the sentence, not because it is a name.
        for word in prompt.split_whitespace().skip(1) {
            let word: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
            let mut chars = word.chars();
            let Some(first) = chars.next() else { continue };
            if !first.is_uppercase() {
                continue;
            }
            let all_caps =
                word.len() > 1 && word.chars().all(|c| c.is_uppercase() || c.is_ascii_digit());
            let pool = if all_caps { &mut codes } else { &mut names };
            if !pool.contains(&word) {
                pool.push(word);
            }
        }
        Self {
            names,
            codes,
            next_name: 0,
            next_code: 0,
        }
    }

    /// How many prompt names a tool with this schema can use: the number of names when one of
    /// its top-level string parameters takes a name (not a code), else zero.
    fn names_for(&self, schema: &Value) -> usize {
        let takes_name = schema["properties"].as_object().is_some_and(|properties| {
            properties
                .iter()
                .any(|(name, property)| property["type"] == "string" && !wants_code(name))
        });
        if takes_name { self.names.len() } else { 0 }
    }

    fn pick(&mut self, property: &str) -> Option<String> {
        let wants_code = wants_code(property);
        let (first, first_next, second, second_next) = if wants_code {
            (
                &self.codes,
                &mut self.next_code,
                &self.names,
                &mut self.next_name,
            )
        } else {
            (
                &self.names,
                &mut self.next_name,
                &self.codes,
                &mut self.next_code,
            )
        };
        for (pool, next) in [(first, first_next), (second, second_next)] {
            if !pool.is_empty() {
                let word = pool[*next % pool.len()].clone();
                *next += 1;
                return Some(word);
            }
        }
        None
    }
}

fn wants_code(property: &str) -> bool {
    ["currency", "code", "symbol", "ticker", "iso"]
        .iter()
        .any(|hint| property.to_lowercase().contains(hint))
}

const WORDS: &[&str] = &[
    "alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "tango",
];

/// A value valid for `schema` (resolving `$ref`s against `root`).
fn sample(
    schema: &Value,
    root: &Value,
    rng: &mut Rng,
    words: &mut PromptWords,
    property: &str,
    depth: usize,
) -> Value {
    let Some(object) = schema.as_object() else {
        return Value::Null; // `true` or `{}`: anything goes.
    };
    if depth > 8 {
        return Value::Null;
    }
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer));
        if let Some(target) = target {
            return sample(target, root, rng, words, property, depth + 1);
        }
    }
    if let Some(value) = object.get("const") {
        return value.clone();
    }
    if let Some(options) = object.get("enum").and_then(Value::as_array)
        && !options.is_empty()
    {
        let non_null: Vec<&Value> = options.iter().filter(|v| !v.is_null()).collect();
        let pool = if non_null.is_empty() {
            options.iter().collect()
        } else {
            non_null
        };
        return pool[rng.below(pool.len() as u64) as usize].clone();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = object.get(key).and_then(Value::as_array)
            && !options.is_empty()
        {
            // Prefer a non-null branch, so optional values show up when they are present.
            let non_null: Vec<&Value> = options
                .iter()
                .filter(|option| option.get("type") != Some(&json!("null")))
                .collect();
            let pool = if non_null.is_empty() {
                options.iter().collect()
            } else {
                non_null
            };
            let choice = pool[rng.below(pool.len() as u64) as usize];
            return sample(choice, root, rng, words, property, depth + 1);
        }
    }
    if let Some(all) = object.get("allOf").and_then(Value::as_array)
        && let Some(first) = all.first()
    {
        return sample(first, root, rng, words, property, depth + 1);
    }
    let ty = match object.get("type") {
        Some(Value::String(ty)) => ty.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|ty| *ty != "null")
            .unwrap_or("null"),
        _ if object.contains_key("properties") => "object",
        _ => "null",
    };
    match ty {
        "object" => sample_object(object, root, rng, words, depth),
        "array" => {
            // A tuple (`prefixItems`, as schemars writes `(A, B)`): one value per position.
            if let Some(positions) = object.get("prefixItems").and_then(Value::as_array) {
                return positions
                    .iter()
                    .map(|position| sample(position, root, rng, words, property, depth + 1))
                    .collect();
            }
            let min = object
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(MAX_ITEMS);
            let max = object
                .get("maxItems")
                .and_then(Value::as_u64)
                .unwrap_or(min.max(2))
                .clamp(min, MAX_ITEMS);
            let count = min + rng.below(max - min + 1);
            let items = object.get("items").cloned().unwrap_or(Value::Bool(true));
            (0..count)
                .map(|_| sample(&items, root, rng, words, property, depth + 1))
                .collect()
        }
        "integer" => json!(sample_integer(object, rng)),
        "number" => {
            let value = sample_integer(object, rng) as f64 + 0.5;
            let upper = object.get("maximum").and_then(Value::as_f64);
            json!(match upper {
                Some(max) if value > max => max,
                _ => value,
            })
        }
        "boolean" => json!(rng.chance()),
        "string" => json!(sample_string(object, rng, words, property)),
        _ => Value::Null,
    }
}

fn sample_object(
    object: &Map<String, Value>,
    root: &Value,
    rng: &mut Rng,
    words: &mut PromptWords,
    depth: usize,
) -> Value {
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Map::new();
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        for (name, schema) in properties {
            // Optional fields are sometimes left out, as a model would.
            if !required.contains(&name.as_str()) && rng.chance() {
                continue;
            }
            out.insert(
                name.clone(),
                sample(schema, root, rng, words, name, depth + 1),
            );
        }
    }
    Value::Object(out)
}

/// Arrays and strings stay small, whatever their schema allows.
const MAX_ITEMS: u64 = 8;
const MAX_STRING: usize = 64;

fn sample_integer(object: &Map<String, Value>, rng: &mut Rng) -> i64 {
    let read = |key: &str| object.get(key).and_then(Value::as_f64);
    let lower = match (read("minimum"), read("exclusiveMinimum")) {
        (Some(min), Some(exclusive)) => Some(min.max(exclusive + 1.0)),
        (Some(min), None) => Some(min),
        (None, Some(exclusive)) => Some(exclusive + 1.0),
        (None, None) => None,
    };
    let upper = match (read("maximum"), read("exclusiveMaximum")) {
        (Some(max), Some(exclusive)) => Some(max.min(exclusive - 1.0)),
        (Some(max), None) => Some(max),
        (None, Some(exclusive)) => Some(exclusive - 1.0),
        (None, None) => None,
    };
    // With one bound, a window of 100 next to it; with none, 0 to 100.
    let (low, high) = match (lower, upper) {
        (Some(low), Some(high)) => (low, high),
        (Some(low), None) => (low, low + 100.0),
        (None, Some(high)) => (high.min(100.0) - 100.0, high.min(100.0)),
        (None, None) => (0.0, 100.0),
    };
    let (low, high) = (low.clamp(-1e15, 1e15), high.clamp(-1e15, 1e15));
    let (low, high) = (low.ceil() as i64, high.floor() as i64);
    if high <= low {
        return low;
    }
    low + rng.below((high - low) as u64 + 1) as i64
}

fn sample_string(
    object: &Map<String, Value>,
    rng: &mut Rng,
    words: &mut PromptWords,
    property: &str,
) -> String {
    match object.get("format").and_then(Value::as_str) {
        Some("date-time") => return "2026-01-15T09:30:00Z".to_owned(),
        Some("date") => return "2026-01-15".to_owned(),
        Some("time") => return "09:30:00".to_owned(),
        Some("email") => return "ada@example.com".to_owned(),
        Some("uuid") => return "3f2b9c1e-8d4a-4c7e-9b1a-2e5f6a7b8c9d".to_owned(),
        Some("uri") => return "https://example.com/".to_owned(),
        Some("ipv4") => return "192.0.2.1".to_owned(),
        _ => {}
    }
    let min = object
        .get("minLength")
        .and_then(Value::as_u64)
        .map_or(0, |min| (min as usize).min(MAX_STRING));
    let max = object
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |max| max as usize);
    let mut text = words
        .pick(property)
        .unwrap_or_else(|| WORDS[rng.below(WORDS.len() as u64) as usize].to_owned());
    while text.chars().count() < min {
        text.push('x');
    }
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_respect_enums_bounds_and_required_fields() {
        let schema = json!({
            "type": "object",
            "properties": {
                "unit": {"anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}]},
                "days": {"type": "integer", "minimum": 1, "maximum": 3},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
                "code": {"type": "string", "minLength": 5, "maxLength": 6}
            },
            "required": ["days", "tags", "code", "ratio"],
            "$defs": {"Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}
        });
        let mut saw_unit = false;
        for seed in 0..50 {
            let mut rng = Rng::new(seed);
            let mut words = PromptWords::new("");
            let value = sample(&schema, &schema, &mut rng, &mut words, "", 0);
            let days = value["days"].as_i64().unwrap();
            assert!((1..=3).contains(&days), "{value}");
            let ratio = value["ratio"].as_f64().unwrap();
            assert!(ratio > 0.0 && ratio <= 1.0, "{value}");
            assert_eq!(value["tags"].as_array().unwrap().len(), 2);
            let code = value["code"].as_str().unwrap().len();
            assert!((5..=6).contains(&code), "{value}");
            if let Some(unit) = value.get("unit") {
                saw_unit = true;
                assert!(unit == "celsius" || unit == "fahrenheit", "{value}");
            }
        }
        assert!(saw_unit, "optional fields are sometimes present");
    }

    #[test]
    fn prompt_words_feed_string_arguments() {
        let mut words =
            PromptWords::new("What's the weather in Tokyo and London, and the USD to JPY rate?");
        assert_eq!(words.pick("city").as_deref(), Some("Tokyo"));
        assert_eq!(words.pick("from_currency").as_deref(), Some("USD"));
        assert_eq!(words.pick("to_currency").as_deref(), Some("JPY"));
        assert_eq!(words.pick("city").as_deref(), Some("London"));
    }

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let schema =
            json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]});
        let run = |seed| {
            let mut rng = Rng::new(seed);
            sample(&schema, &schema, &mut rng, &mut PromptWords::new(""), "", 0)
        };
        assert_eq!(run(7), run(7));
    }
}
