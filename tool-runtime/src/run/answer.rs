//! Typed final answers: what a typed run asks of the model's answer, and the answer checked
//! against `T`'s schema and decoded into a `T` — parsed once — with a bad one sent back with what
//! is wrong while retries are left.
//!
//! The model gives its answer in one of two forms: as its text, when the model can be held to a
//! JSON Schema natively (structured output), or as the arguments of a final tool it calls.

use std::any::Any;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::conversation::{Message, ToolCall};
use crate::model::{Model, OutputFormat};
use crate::schema::check::Checks;
use crate::tool::decode::schema_issues;
use crate::tool::nulls::without_absent_nulls;
use crate::tool::{FieldIssue, InvalidArguments, ToolDefinition, ToolError, ToolOutput};

/// The name the answer's schema goes by: the `json_schema` name on OpenAI, and the final tool's
/// name for models without structured output (with a suffix when a tool has that name).
const ANSWER: &str = "final_answer";

/// The one property of the object an answer that is not an object is wrapped in: the APIs take
/// only object schemas for answers and tools.
const WRAPPER: &str = OutputFormat::WRAPPER;

/// A decoded answer, a `T` the typed run takes back.
pub(crate) type Decoded = Box<dyn Any + Send>;

/// What a typed run asks of its final answer.
pub(crate) struct AnswerSpec {
    /// The answer's shape, as models with structured output are asked for it.
    format: OutputFormat,
    /// The final tool, offered to the others: the same name, description and schema.
    tool: ToolDefinition,
    /// What the schema promises, checked in full (every violation at once).
    checks: Option<Checks>,
    /// The schema's top-level properties, for "expected one of".
    fields: Vec<String>,
    /// Whether the answer is wrapped in `{"answer": …}`.
    wrapped: bool,
    /// `T`'s `Deserialize`, for what the schema does not say: the answer, decoded.
    decode: fn(Value) -> Result<Decoded, FieldIssue>,
    /// How many bad answers are sent back before the run fails.
    pub(crate) retries: usize,
}

/// An answer that passed: its JSON text (unwrapped) and its decoded value.
pub(crate) struct Accepted {
    pub(crate) text: String,
    pub(crate) value: Decoded,
}

/// An answer that did not pass: what the model reads to fix it, and the answer as it wrote it.
pub(crate) struct Refused {
    pub(crate) problem: String,
    pub(crate) answer: String,
}

/// How the model gave its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// As its text (structured output).
    Text,
    /// As the arguments of the final tool.
    Tool,
}

impl AnswerSpec {
    /// The spec of a `T`, its name one that `taken` says no tool has.
    pub(crate) fn of<T: DeserializeOwned + JsonSchema + Send + 'static>(
        retries: usize,
        taken: impl Fn(&str) -> bool,
    ) -> Self {
        let mut schema = crate::schema::of_type::<T>(false);
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .map_or_else(
                || "Give the final answer, in this shape.".to_owned(),
                str::to_owned,
            );
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
        let checks = Checks::compile(&schema);
        let format = OutputFormat::new(name, description, schema);
        let tool = ToolDefinition::new(
            format.name().to_owned(),
            format.description().to_owned(),
            format.schema().clone(),
        );
        Self {
            format,
            tool,
            checks,
            fields,
            wrapped,
            decode: |value| {
                serde_path_to_error::deserialize::<_, T>(value)
                    .map(|value| Box::new(value) as Decoded)
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

    /// The final tool, when `model` cannot be held to the answer's shape natively (asked every
    /// turn: a model that stopped sending optional parts may no longer give it natively).
    pub(crate) fn tool_for(&self, model: &dyn Model) -> Option<&ToolDefinition> {
        (!model.native_output(&self.format)).then_some(&self.tool)
    }

    /// The answer's shape, for a model that gives it natively.
    pub(crate) fn format(&self) -> &OutputFormat {
        &self.format
    }

    /// Whether `call` gives the answer, when the final tool was offered.
    pub(crate) fn is_answer(&self, call: &ToolCall) -> bool {
        call.name == self.format.name()
    }

    /// Checks an answer given as `form`: the answer, or what the model reads to fix it — for the
    /// final tool, the error bad arguments get.
    pub(crate) fn check(&self, text: &str, form: Form) -> Result<Accepted, Refused> {
        let trimmed = match form {
            Form::Text => unfence(text),
            Form::Tool => text.trim(),
        };
        let refused = |problem| Refused {
            problem,
            answer: text.to_owned(),
        };
        let value: Value = serde_json::from_str(trimmed).map_err(|error| {
            refused(match form {
                Form::Tool => {
                    InvalidArguments::syntax(self.format.name(), &error, trimmed).to_string()
                }
                Form::Text => format!(
                    "Your answer is not valid JSON ({error}). Reply with only the JSON of the \
                     answer, in the required format."
                ),
            })
        })?;
        match self.accept(value, trimmed) {
            Ok(accepted) => Ok(accepted),
            Err(issues) => Err(refused(self.explain(&issues, form))),
        }
    }

    /// The answer decoded, or everything wrong with it: the schema's violations, else the
    /// type's own complaint.
    fn accept(&self, value: Value, text: &str) -> Result<Accepted, Vec<FieldIssue>> {
        if !value.is_object() {
            let found = crate::json::kind(&value);
            return Err(vec![FieldIssue::new(
                "(answer)",
                format!("expected a JSON object, got {found}"),
            )]);
        }
        // A `#[serde(default)]` field left out in strict mode comes as `null`: absent again,
        // it gets its default.
        let value =
            without_absent_nulls(self.format.schema().value(), &value, false).unwrap_or(value);
        if let Some(checks) = &self.checks {
            let violations = checks.violations(&value);
            if !violations.is_empty() {
                let fields: Vec<&str> = self.fields.iter().map(String::as_str).collect();
                return Err(schema_issues(violations, &fields));
            }
        }
        let (inner, text) = if self.wrapped {
            let Value::Object(mut object) = value else {
                unreachable!("checked to be an object above")
            };
            let Some(inner) = object.remove(WRAPPER) else {
                return Err(vec![FieldIssue::new(WRAPPER, "missing required field")]);
            };
            let text = inner.to_string();
            (inner, text)
        } else {
            (value, text.to_owned())
        };
        match (self.decode)(inner) {
            Ok(value) => Ok(Accepted { text, value }),
            Err(issue) if self.wrapped => {
                let path = match issue.path() {
                    "(answer)" => WRAPPER.to_owned(),
                    path if path.starts_with('[') => format!("{WRAPPER}{path}"),
                    path => format!("{WRAPPER}.{path}"),
                };
                Err(vec![FieldIssue::new(path, issue.message())])
            }
            Err(issue) => Err(vec![issue]),
        }
    }

    /// What the model reads about a wrong answer given as `form`.
    fn explain(&self, issues: &[FieldIssue], form: Form) -> String {
        match form {
            Form::Tool => InvalidArguments::fields(self.format.name(), issues.to_vec()).to_string(),
            Form::Text => {
                let mut message = "Your answer does not match the required format:\n".to_owned();
                for issue in issues {
                    let _ = writeln!(message, "- `{}`: {}", issue.path(), issue.message());
                }
                message.push_str("Reply again with the corrected answer, as JSON only.");
                message
            }
        }
    }

    /// The final answer given by the final tool in the last turn of `messages` and checked
    /// there, checked again: the check, if its call's result was that check's (not a "not
    /// taken" answer given while other calls waited).
    pub(crate) fn given(&self, messages: &[Message]) -> Option<Result<Accepted, Refused>> {
        let [
            ..,
            Message::Assistant(message),
            Message::ToolResults { results },
        ] = messages
        else {
            return None;
        };
        let call = message
            .tool_calls
            .iter()
            .find(|call| self.is_answer(call))?;
        let result = results.iter().find(|result| result.call_id == call.id)?;
        let checked = self.check(&call.arguments.to_json_string(), Form::Tool);
        let same = match &checked {
            Ok(_) => !result.is_error(),
            Err(refused) => result.is_error() && result.content() == refused.problem,
        };
        same.then_some(checked)
    }

    /// Answers the final-tool calls of a turn, held at `places`, once its other calls ran: the
    /// first is checked (its result says whether the answer was received), any other is not
    /// taken; none is taken while other calls of the turn wait for a decision. The first one's
    /// check, when it was taken.
    pub(crate) fn answer_calls(
        &self,
        places: &[usize],
        calls: &[ToolCall],
        others_wait: bool,
        mut answer: impl FnMut(usize, Result<ToolOutput, ToolError>),
    ) -> Option<Result<Accepted, Refused>> {
        let (&first, others) = places.split_first()?;
        if others_wait {
            // Given before the results it would rest on: asked for again later.
            for &place in places {
                answer(
                    place,
                    not_taken(
                        "other calls of this turn wait for approval. Give the final answer once \
                         their results are in.",
                    ),
                );
            }
            return None;
        }
        let checked = self.check(&calls[first].arguments.to_json_string(), Form::Tool);
        let result = match &checked {
            Ok(_) => Ok(ToolOutput::text("Answer received.")),
            Err(refused) => Err(ToolError::Failed(refused.problem.clone())),
        };
        answer(first, result);
        for &place in others {
            answer(place, not_taken("give one final answer, in one call."));
        }
        Some(checked)
    }
}

/// The error result of a final answer that was not taken.
fn not_taken(why: &str) -> Result<ToolOutput, ToolError> {
    Err(ToolError::Failed(format!(
        "The answer was not taken: {why}"
    )))
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    struct Summary {
        title: String,
        #[serde(default = "three")]
        points: u32,
        #[serde(default)]
        tags: Vec<String>,
        /// `null` is a value of its own here: `None`, where absence gives `Some(1)`.
        #[serde(default = "some_one")]
        rank: Option<u8>,
    }

    fn three() -> u32 {
        3
    }

    fn some_one() -> Option<u8> {
        Some(1)
    }

    fn accepted(spec: &AnswerSpec, text: &str) -> Summary {
        let accepted = spec
            .check(text, Form::Text)
            .unwrap_or_else(|refused| panic!("{text}: {}", refused.problem));
        *accepted.value.downcast::<Summary>().unwrap()
    }

    /// Strict structured output makes every defaulted field required and nullable: an answer
    /// that leaves one out says `null`, and the field gets its default.
    #[test]
    fn strict_nulls_give_an_answer_s_defaults() {
        let spec = AnswerSpec::of::<Summary>(0, |_| false);
        let strict = spec.format().schema().strict().unwrap();
        assert_eq!(
            strict["properties"]["points"]["type"],
            json!(["integer", "null"])
        );
        let nulls = r#"{"title": "t", "points": null, "tags": null, "rank": null}"#;
        let expected = Summary {
            title: "t".into(),
            points: 3,
            tags: Vec::new(),
            rank: None,
        };
        assert_eq!(accepted(&spec, nulls), expected);
        let left_out = accepted(&spec, r#"{"title": "t"}"#);
        assert_eq!((left_out.points, left_out.rank), (3, Some(1)));
        // A required field is still required.
        let refused = spec.check(r#"{"title": null}"#, Form::Text).err().unwrap();
        assert!(refused.problem.contains("`title`"), "{}", refused.problem);
    }
}
