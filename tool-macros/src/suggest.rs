//! "Did you mean …?" for an unknown key: the key a common name from other libraries stands for,
//! or the nearest by edit distance.

use crate::symbol::{
    CRATE, DEFAULT, DESCRIPTION, NAME, NEEDS_APPROVAL, RENAME, SEQUENTIAL, Symbol, TIMEOUT,
};

/// Names other tool libraries (and serde, clap, MCP) give what one of our keys says, too far
/// from it by spelling for the distance to find: `requires_approval` (Pydantic AI), `approval`,
/// `desc`, `help` (clap)… Written in snake case without `_hint` (see [`normalize`]).
const OTHER_NAMES: &[(&str, Symbol)] = &[
    ("requires_approval", NEEDS_APPROVAL),
    ("require_approval", NEEDS_APPROVAL),
    ("approval", NEEDS_APPROVAL),
    ("needs_confirmation", NEEDS_APPROVAL),
    ("requires_confirmation", NEEDS_APPROVAL),
    ("confirm", NEEDS_APPROVAL),
    ("desc", DESCRIPTION),
    ("doc", DESCRIPTION),
    ("docs", DESCRIPTION),
    ("about", DESCRIPTION),
    ("help", DESCRIPTION),
    ("summary", DESCRIPTION),
    ("rename", NAME),
    ("tool_name", NAME),
    ("name", RENAME),
    ("timeout_ms", TIMEOUT),
    ("time_limit", TIMEOUT),
    ("deadline", TIMEOUT),
    ("serial", SEQUENTIAL),
    ("default_value", DEFAULT),
    ("default_value_t", DEFAULT),
    ("runtime", CRATE),
];

/// The key of `keys` that `unknown` most likely meant, if one is close enough to say so.
pub(crate) fn meant(unknown: &str, keys: &[Symbol]) -> Option<Symbol> {
    let unknown = normalize(unknown);
    let known = |name: &str| keys.iter().copied().find(|key| key.as_str() == name);
    // `readOnlyHint` (MCP), `needsApproval` (the AI SDK): one of ours, written another way.
    if let Some(key) = known(&unknown) {
        return Some(key);
    }
    if let Some(key) = OTHER_NAMES
        .iter()
        .filter(|(name, _)| *name == unknown)
        .find_map(|(_, key)| known(key.as_str()))
    {
        return Some(key);
    }
    // A typo: at most one edit in three letters (and one in short keys), the nearest first.
    keys.iter()
        .map(|key| (strsim::damerau_levenshtein(&unknown, key.as_str()), *key))
        .filter(|(distance, key)| *distance <= (key.as_str().len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// `readOnlyHint` → `read_only`: snake case, lower case, without MCP's `_hint`.
fn normalize(key: &str) -> String {
    let mut snake = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !snake.ends_with('_') {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    let snake = snake.trim_start_matches("r#");
    snake.strip_suffix("_hint").unwrap_or(snake).to_owned()
}

#[cfg(test)]
mod tests {
    use super::meant;
    use crate::symbol::{ARG_KEYS, TOOL_KEYS, TOOLSET_KEYS};

    fn tool(key: &str) -> Option<&'static str> {
        meant(key, TOOL_KEYS).map(|key| key.as_str())
    }

    #[test]
    fn typos_are_matched_by_distance() {
        assert_eq!(tool("nmae"), Some("name"));
        assert_eq!(tool("timout"), Some("timeout"));
        assert_eq!(tool("descripton"), Some("description"));
        assert_eq!(tool("readonly"), Some("read_only"));
        assert_eq!(tool("idempotency"), Some("idempotent"));
        assert_eq!(
            meant("renam", ARG_KEYS).map(|key| key.as_str()),
            Some("rename")
        );
        assert_eq!(
            meant("krate", TOOLSET_KEYS).map(|key| key.as_str()),
            Some("crate")
        );
    }

    #[test]
    fn other_libraries_names_are_matched() {
        assert_eq!(tool("requires_approval"), Some("needs_approval"));
        assert_eq!(tool("approval"), Some("needs_approval"));
        assert_eq!(tool("requireApproval"), Some("needs_approval"));
        assert_eq!(tool("needsApproval"), Some("needs_approval"));
        assert_eq!(tool("readOnlyHint"), Some("read_only"));
        assert_eq!(tool("destructive_hint"), Some("destructive"));
        assert_eq!(tool("desc"), Some("description"));
        assert_eq!(tool("rename"), Some("name"));
        assert_eq!(
            meant("name", ARG_KEYS).map(|key| key.as_str()),
            Some("rename")
        );
        assert_eq!(
            meant("desc", ARG_KEYS).map(|key| key.as_str()),
            Some("description")
        );
        // Only keys the attribute has: `#[arg]` has no `timeout`.
        assert_eq!(meant("deadline", ARG_KEYS).map(|key| key.as_str()), None);
    }

    #[test]
    fn far_keys_get_no_suggestion() {
        assert_eq!(tool("strict"), None);
        assert_eq!(tool("x"), None);
        assert_eq!(tool("parallel"), None);
        assert_eq!(tool("async"), None);
    }
}
