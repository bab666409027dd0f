//! [`from_env`]: the model a program's environment asks for — OpenAI, Anthropic, or the
//! offline model when no key is set — in one call.

use super::{Anthropic, Model, OfflineModel, OpenAi};
use crate::error::{Error, Result};

/// Which provider a program uses when it could use more than one: `openai`, `anthropic` or
/// `offline`.
pub const PROVIDER_VAR: &str = "TOOL_PROVIDER";

/// Which of OpenAI's APIs an OpenAI model speaks: `chat` (Chat Completions, the default) or
/// `responses`.
pub const OPENAI_API_VAR: &str = "OPENAI_API";

/// The model the environment asks for, or the offline model when it asks for none: the one
/// call a program makes to work offline out of the box and against a real API once a key is
/// set.
///
/// - `OPENAI_API_KEY` set: [`OpenAi::from_env`] (which also reads `OPENAI_BASE_URL` and
///   `OPENAI_MODEL`), speaking Chat Completions, or the Responses API when `OPENAI_API` is
///   `responses`;
/// - else `ANTHROPIC_API_KEY` set: [`Anthropic::from_env`] (`ANTHROPIC_BASE_URL`,
///   `ANTHROPIC_MODEL`);
/// - else [`OfflineModel::new`].
///
/// `TOOL_PROVIDER` (`openai`, `anthropic` or `offline`) picks one when both keys are set, or
/// the offline model despite a key. A value these do not know, or a provider picked whose key
/// is missing, is an [`Error`] (`is_config`).
///
/// ```
/// # fn main() -> Result<(), tool_runtime::Error> {
/// let model = tool_runtime::model::from_env()?;
/// println!("using {}", model.name());
/// # Ok(()) }
/// ```
pub fn from_env() -> Result<Box<dyn Model>> {
    from_env_or(OfflineModel::new())
}

/// [`from_env`], with `offline` as the model when the environment asks for none (an
/// [`OfflineModel`] paced or scripted for a demo, say).
///
/// ```
/// use std::time::Duration;
/// use tool_runtime::OfflineModel;
///
/// # fn main() -> Result<(), tool_runtime::Error> {
/// let model = tool_runtime::model::from_env_or(OfflineModel::new().pacing(Duration::from_millis(15)))?;
/// # let _ = model;
/// # Ok(()) }
/// ```
pub fn from_env_or(offline: impl Model + 'static) -> Result<Box<dyn Model>> {
    let set = |name: &str| std::env::var(name).is_ok_and(|value| !value.trim().is_empty());
    let provider = match setting(PROVIDER_VAR) {
        Some(provider) => provider,
        None if set("OPENAI_API_KEY") => "openai".to_owned(),
        None if set("ANTHROPIC_API_KEY") => "anthropic".to_owned(),
        None => "offline".to_owned(),
    };
    Ok(match provider.as_str() {
        "openai" => {
            let openai = OpenAi::from_env()?;
            match setting(OPENAI_API_VAR).as_deref() {
                None | Some("chat") => Box::new(openai),
                Some("responses") => Box::new(openai.responses()),
                Some(other) => {
                    return Err(Error::bad_env(OPENAI_API_VAR, other, "chat, responses"));
                }
            }
        }
        "anthropic" => Box::new(Anthropic::from_env()?),
        "offline" => Box::new(offline),
        other => {
            let known = "openai, anthropic, offline";
            return Err(Error::bad_env(PROVIDER_VAR, other, known));
        }
    })
}

/// An environment variable's value, trimmed and lower-cased; `None` when unset or empty.
fn setting(name: &str) -> Option<String> {
    let value = std::env::var(name).ok()?;
    let value = value.trim().to_ascii_lowercase();
    (!value.is_empty()).then_some(value)
}
