//! Where OpenAI's and Anthropic's strict modes differ, as one row per provider: the conversion
//! reads these rows and branches on nothing else.

use serde_json::Value;

/// What one provider's strict mode takes, where the two differ.
#[derive(Debug)]
pub(super) struct Flavor {
    /// Every property listed in `required`, the optional ones (defaulted ones too) made
    /// nullable (strict mode sends `null` for "absent"), and an optional property's default
    /// required to be one of its values; otherwise `required` stays as written.
    pub(super) every_property_required: bool,
    /// `const` stated as a one-value `enum`; otherwise kept as it is.
    pub(super) const_as_enum: bool,
    /// The string `format`s kept; any other is moved into the description.
    pub(super) formats: &'static [&'static str],
    /// Whether a `pattern` is kept when OpenAI's regex engine takes it (no lookaround, no
    /// backreference); otherwise every `pattern` is moved into the description.
    pub(super) patterns: bool,
    /// Whether number bounds (`minimum`, `maximum`, their exclusive forms, `multipleOf`) are
    /// kept; otherwise they are moved into the description.
    pub(super) number_bounds: bool,
    /// The `minItems` counts kept.
    pub(super) min_items: Counts,
    /// The `maxItems` counts kept.
    pub(super) max_items: Counts,
    /// Whether a schema that refers to itself (a recursive definition) is refused.
    pub(super) refuses_recursion: bool,
    /// Whether OpenAI's documented size limits are checked on the result.
    pub(super) size_limits: bool,
}

/// OpenAI's strict mode ("Structured Outputs → Supported schemas").
pub(super) const OPENAI: Flavor = Flavor {
    every_property_required: true,
    const_as_enum: false,
    formats: OPENAI_FORMATS,
    patterns: true,
    number_bounds: true,
    min_items: Counts::Any,
    max_items: Counts::Any,
    refuses_recursion: false,
    size_limits: true,
};

/// Anthropic's strict mode (the anthropic SDK's `lib/_parse/_transform.py`).
pub(super) const ANTHROPIC: Flavor = Flavor {
    every_property_required: false,
    const_as_enum: true,
    formats: ANTHROPIC_FORMATS,
    patterns: false,
    number_bounds: false,
    min_items: Counts::UpTo(1),
    max_items: Counts::Never,
    refuses_recursion: true,
    size_limits: false,
};

/// Which counts of `minItems` or `maxItems` stay keywords; the others are moved into the
/// description.
#[derive(Debug, Clone, Copy)]
pub(super) enum Counts {
    /// Any count.
    Any,
    /// Counts up to this one.
    UpTo(u64),
    /// None.
    Never,
}

impl Counts {
    /// Whether `value` is a count kept.
    pub(super) fn keeps(self, value: &Value) -> bool {
        match self {
            Counts::Any => value.is_u64(),
            Counts::UpTo(most) => value.as_u64().is_some_and(|count| count <= most),
            Counts::Never => false,
        }
    }
}

/// The string formats OpenAI strict mode supports.
const OPENAI_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// The string formats Anthropic's strict mode supports.
const ANTHROPIC_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
];
