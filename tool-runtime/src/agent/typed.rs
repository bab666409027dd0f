//! Typed final answers: the schema of a `T` for the model, and the answer checked and decoded,
//! a bad one sent back with what is wrong while retries are left.

use std::fmt;
use std::fmt::Write as _;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::request::RunRequest;
use super::{RunError, RunFailure, RunOutput};
use crate::decode::schema_issues;
use crate::schema::check::Checks;
use crate::tool::{FieldIssue, InvalidArguments, ToolDefinition};

/// The name the answer's schema goes by: the `json_schema` name on OpenAI, and the final tool's
/// name for models without structured output (with a suffix when a tool has that name).
const ANSWER: &str = "final_answer";

/// The one property of the object an answer that is not an object is wrapped in: the APIs take
/// only object schemas for answers and tools.
const WRAPPER: &str = "answer";

/// What a typed run asks of its final answer.
pub(crate) struct OutputSpec {
    /// The answer's schema, as a definition: its strict flavours and the final tool come with it.
    pub(crate) definition: ToolDefinition,
    /// What the schema promises, checked in full (every violation at once).
    checks: Option<Checks>,
    /// The schema's top-level properties, for "expected one of".
    fields: Vec<String>,
    /// Whether the answer is wrapped in `{"answer": …}`.
    wrapped: bool,
    /// The `Deserialize` of `T`, for what the schema does not say.
    decode: fn(&Value) -> Result<(), FieldIssue>,
    /// How many bad answers are sent back before the run fails.
    pub(crate) retries: usize,
}

/// How the model gave its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// As its text (structured output).
    Text,
    /// As the arguments of the final tool.
    Tool,
}

impl OutputSpec {
    /// The spec of a `T`, its name one that `taken` says no tool has.
    pub(crate) fn of<T: DeserializeOwned + JsonSchema>(
        retries: usize,
        taken: impl Fn(&str) -> bool,
    ) -> Self {
        let mut schema = SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value();
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .map_or_else(
                || "Give the final answer, in this shape.".to_owned(),
                str::to_owned,
            );
        if let Value::Object(object) = &mut schema {
            object.remove("$schema");
            object.remove("title");
        }
        let wrapped = schema.get("type").and_then(Value::as_str) != Some("object");
        if wrapped {
            schema = wrap(schema);
        }
        let fields = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default();
        let name = std::iter::once(ANSWER.to_owned())
            .chain((2..).map(|n| format!("{ANSWER}_{n}")))
            .find(|name| !taken(name))
            .expect("some name is free");
        Self {
            checks: Checks::compile(&schema),
            definition: ToolDefinition::new(name, description, schema),
            fields,
            wrapped,
            decode: |value| {
                serde_path_to_error::deserialize::<_, T>(value)
                    .map(drop)
                    .map_err(|error| {
                        let path = match error.path().to_string() {
                            root if root == "." => "(answer)".to_owned(),
                            path => path,
                        };
                        FieldIssue::new(path, error.into_inner().to_string())
                    })
            },
            retries,
        }
    }

    /// The name of the answer's schema (and of the final tool).
    pub(crate) fn name(&self) -> &str {
        self.definition.name()
    }

    /// Checks an answer given as `form`: its JSON text (unwrapped), or what the model reads to
    /// fix it — for the final tool, the error bad arguments get.
    pub(crate) fn check(&self, text: &str, form: Form) -> Result<String, String> {
        let text = match form {
            Form::Text => unfence(text),
            Form::Tool => text.trim(),
        };
        let value: Value = serde_json::from_str(text).map_err(|error| match form {
            Form::Tool => InvalidArguments::syntax(self.name(), &error, text).to_string(),
            Form::Text => format!(
                "Your answer is not valid JSON ({error}). Reply with only the JSON of the answer, \
                 in the required format."
            ),
        })?;
        let issues = self.issues(&value);
        if issues.is_empty() {
            return Ok(match (self.wrapped, value) {
                (true, Value::Object(mut object)) => {
                    object.remove(WRAPPER).unwrap_or_default().to_string()
                }
                _ => text.to_owned(),
            });
        }
        Err(match form {
            Form::Tool => InvalidArguments::fields(self.name(), issues).to_string(),
            Form::Text => {
                let mut message = "Your answer does not match the required format:\n".to_owned();
                for issue in &issues {
                    let _ = writeln!(message, "- `{}`: {}", issue.path(), issue.message());
                }
                message.push_str("Reply again with the corrected answer, as JSON only.");
                message
            }
        })
    }

    /// Everything wrong with `value`: the schema's violations, else the type's own complaint.
    fn issues(&self, value: &Value) -> Vec<FieldIssue> {
        if !value.is_object() {
            let found = crate::json::kind(value);
            return vec![FieldIssue::new(
                "(answer)",
                format!("expected a JSON object, got {found}"),
            )];
        }
        if let Some(checks) = &self.checks {
            let violations = checks.violations(value);
            if !violations.is_empty() {
                let fields: Vec<&str> = self.fields.iter().map(String::as_str).collect();
                return schema_issues(violations, &fields);
            }
        }
        let inner = if self.wrapped {
            match value.get(WRAPPER) {
                Some(inner) => inner,
                None => return vec![FieldIssue::new(WRAPPER, "missing required field")],
            }
        } else {
            value
        };
        match (self.decode)(inner) {
            Ok(()) => Vec::new(),
            Err(issue) if self.wrapped => {
                let path = match issue.path() {
                    "(answer)" => WRAPPER.to_owned(),
                    path if path.starts_with('[') => format!("{WRAPPER}{path}"),
                    path => format!("{WRAPPER}.{path}"),
                };
                vec![FieldIssue::new(path, issue.message())]
            }
            Err(issue) => vec![issue],
        }
    }
}

/// `schema` as the one property of an object, its `$defs` moved to the new root (where its
/// references point).
fn wrap(mut schema: Value) -> Value {
    let definitions = schema
        .as_object_mut()
        .and_then(|object| object.remove("$defs"));
    let mut wrapper = json!({
        "type": "object",
        "properties": { WRAPPER: schema },
        "required": [WRAPPER],
        "additionalProperties": false,
    });
    if let (Some(definitions), Value::Object(object)) = (definitions, &mut wrapper) {
        object.insert("$defs".to_owned(), definitions);
    }
    wrapper
}

/// The JSON in a text answer: without the Markdown code fence some models put around it.
fn unfence(text: &str) -> &str {
    let text = text.trim();
    let Some(fenced) = text.strip_prefix("```") else {
        return text;
    };
    let Some(body) = fenced.strip_suffix("```") else {
        return text;
    };
    // The fence's first line may name the language (```json).
    match body.split_once('\n') {
        Some((language, rest)) if !language.contains(['{', '[', '"']) => rest.trim(),
        _ => body.trim(),
    }
}

/// The final answer of a typed run, decoded, beside the run's output.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer<T> {
    /// The answer.
    pub value: T,
    /// The run: the answer's JSON text, the conversation, the usage.
    pub output: RunOutput,
}

/// A run that asks for a typed final answer: made by [`RunRequest::output`]; `.await` it.
///
/// The model is asked for a `T` with the provider's structured output where the model has it
/// (OpenAI's `response_format` with a strict JSON schema when the schema allows it, Anthropic's
/// `output_config.format`), otherwise with a final tool the model calls with the answer. The
/// answer is checked against `T`'s schema (every violation at once) and decoded; a bad one is
/// sent back to the model with what is wrong, at most `retries` times (default 2), after which
/// the run ends with [`RunFailure::InvalidAnswer`](crate::RunFailure::InvalidAnswer).
pub struct TypedRun<'a, S, T> {
    request: RunRequest<'a, S>,
    retries: usize,
    answer: PhantomData<fn() -> T>,
}

impl<'a, S, T> TypedRun<'a, S, T> {
    pub(super) fn new(request: RunRequest<'a, S>) -> Self {
        Self {
            request,
            retries: 2,
            answer: PhantomData,
        }
    }

    /// How many bad answers are sent back to the model before the run fails (default 2).
    #[must_use]
    pub fn retries(mut self, retries: usize) -> Self {
        self.retries = retries;
        self
    }
}

impl<'a, S, T> IntoFuture for TypedRun<'a, S, T>
where
    S: Send + Sync + 'static,
    T: DeserializeOwned + JsonSchema + Send + 'static,
{
    type Output = Result<Answer<T>, RunError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let toolbox = self.request.agent.toolbox();
        let spec = OutputSpec::of::<T>(self.retries, |name| toolbox.get(name).is_some());
        let run = self.request.with_output(spec);
        Box::pin(async move {
            let output = run.await?;
            // Checked already, so this only moves the answer into a `T`; should `T` decode
            // differently from the value it checked, the run fails rather than panic.
            match serde_json::from_str(&output.text) {
                Ok(value) => Ok(Answer { value, output }),
                Err(error) => {
                    let failure = RunFailure::InvalidAnswer {
                        problem: error.to_string(),
                        answer: output.text.clone(),
                    };
                    Err(RunError::new(
                        failure,
                        output.messages,
                        output.usage,
                        output.turns,
                    ))
                }
            }
        })
    }
}

impl<S, T> fmt::Debug for TypedRun<'_, S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedRun")
            .field("answer", &std::any::type_name::<T>())
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}
