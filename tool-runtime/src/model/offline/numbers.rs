//! Numbers for a schema's `integer` and `number`: inside its bounds (`minimum`, `maximum`, and
//! their exclusive forms, as numbers or as draft-04's booleans) and a multiple of its
//! `multipleOf`.

use serde_json::{Map, Value, json};

use super::rng::Rng;

/// Numbers stay where an `f64` holds every integer exactly.
const LARGEST: f64 = 1e15;

/// Where a number may go: its bounds, each inclusive or not.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lower: Option<(f64, bool)>,
    upper: Option<(f64, bool)>,
}

impl Bounds {
    fn of(object: &Map<String, Value>) -> Self {
        let read = |key: &str| object.get(key).and_then(Value::as_f64);
        // Draft 4 wrote `"exclusiveMinimum": true` beside `minimum`.
        let flag = |key: &str| object.get(key).and_then(Value::as_bool) == Some(true);
        let tighter = |a: Option<(f64, bool)>, b: Option<(f64, bool)>, lower: bool| match (a, b) {
            (Some(a), Some(b)) => {
                let a_wins = if lower { a.0 > b.0 } else { a.0 < b.0 };
                Some(if a.0 == b.0 {
                    (a.0, a.1 || b.1)
                } else if a_wins {
                    a
                } else {
                    b
                })
            }
            (a, b) => a.or(b),
        };
        let lower = tighter(
            read("minimum").map(|min| (min, flag("exclusiveMinimum"))),
            read("exclusiveMinimum").map(|min| (min, true)),
            true,
        );
        let upper = tighter(
            read("maximum").map(|max| (max, flag("exclusiveMaximum"))),
            read("exclusiveMaximum").map(|max| (max, true)),
            false,
        );
        Self { lower, upper }
    }

    fn contains(&self, value: f64) -> bool {
        let above = self.lower.is_none_or(
            |(low, exclusive)| {
                if exclusive { value > low } else { value >= low }
            },
        );
        let below = self.upper.is_none_or(|(high, exclusive)| {
            if exclusive {
                value < high
            } else {
                value <= high
            }
        });
        above && below
    }

    /// The window values are drawn from: the bounds, or 100 wide next to the one bound there
    /// is, or 0 to 100; kept within ±10¹⁵, and halved `shrink` times towards its low end. With
    /// `whole`, the bounds are first made the nearest whole numbers inside them (`> 0` is
    /// `>= 1`).
    fn window(&self, whole: bool, shrink: u32) -> (f64, f64) {
        let lower = self.lower.map(|(low, exclusive)| match (whole, exclusive) {
            (true, true) => low.floor() + 1.0,
            (true, false) => low.ceil(),
            (false, _) => low,
        });
        let upper = self
            .upper
            .map(|(high, exclusive)| match (whole, exclusive) {
                (true, true) => high.ceil() - 1.0,
                (true, false) => high.floor(),
                (false, _) => high,
            });
        let (low, high) = match (lower, upper) {
            (Some(low), Some(high)) => (low, high),
            (Some(low), None) => (low, low + 100.0),
            (None, Some(high)) => (high.min(100.0) - 100.0, high.min(100.0)),
            (None, None) => (0.0, 100.0),
        };
        let (low, high) = (low.clamp(-LARGEST, LARGEST), high.clamp(-LARGEST, LARGEST));
        let high = if high > low {
            low + (high - low) / 2f64.powi(shrink.min(60) as i32)
        } else {
            high
        };
        (low, if whole { high.floor().max(low) } else { high })
    }
}

/// The schema's `multipleOf`, when it has a usable one (positive and finite).
fn multiple_of(object: &Map<String, Value>) -> Option<f64> {
    object
        .get("multipleOf")
        .and_then(Value::as_f64)
        .filter(|step| *step > 0.0 && step.is_finite())
}

/// A random integer in `low..=high` (`low` when the range is empty).
fn between(low: i64, high: i64, rng: &mut Rng) -> i64 {
    if high <= low {
        return low;
    }
    // The offset fits in `low..=high`, so the wrapping sum is the exact one.
    low.wrapping_add(rng.below(high.abs_diff(low).saturating_add(1)) as i64)
}

/// An integer valid for `object`'s bounds and `multipleOf`, from a window halved `shrink` times
/// towards its low end.
pub(super) fn integer(object: &Map<String, Value>, rng: &mut Rng, shrink: u32) -> Value {
    let bounds = Bounds::of(object);
    let (low, high) = bounds.window(true, shrink);
    // The smallest multiple of `multipleOf` that is a whole number: 1.5 → 3.
    let step = multiple_of(object).map_or(1.0, |step| {
        (1..=1000)
            .map(|n| step * f64::from(n))
            .find(|whole| whole.fract() == 0.0)
            .unwrap_or(step)
    });
    let (first, last) = ((low / step).ceil(), (high / step).floor());
    let candidates = [
        between(first as i64, last as i64, rng),
        first as i64,
        last as i64,
    ];
    let value = candidates
        .into_iter()
        .map(|k| (k as f64 * step).round())
        .find(|value| bounds.contains(*value))
        .unwrap_or(low);
    json!(value as i64)
}

/// A number valid for `object`'s bounds and `multipleOf`: a multiple written with the step's
/// decimals (`0.05` → `2.35`), else a whole number and a half (`41.5`) where it fits; from a
/// window halved `shrink` times towards its low end.
pub(super) fn number(object: &Map<String, Value>, rng: &mut Rng, shrink: u32) -> Value {
    let bounds = Bounds::of(object);
    let (low, high) = bounds.window(false, shrink);
    if let Some(step) = multiple_of(object) {
        let decimals = decimals(step);
        let (first, last) = ((low / step).ceil(), (high / step).floor());
        let candidates = [
            between(first as i64, last as i64, rng),
            first as i64,
            last as i64,
            (first as i64).saturating_add(1),
            (last as i64).saturating_sub(1),
        ];
        if let Some(value) = candidates
            .into_iter()
            .map(|k| rounded(k as f64 * step, decimals))
            .find(|value| bounds.contains(*value))
        {
            return json!(value);
        }
    }
    let whole = between(low.floor() as i64, high.floor() as i64, rng) as f64;
    let value = [whole + 0.5, whole, (low + high) / 2.0, low, high]
        .into_iter()
        .find(|value| bounds.contains(*value))
        .unwrap_or(low);
    json!(value)
}

/// How many decimals `step` is written with (`0.05` → 2), at most 15.
fn decimals(step: f64) -> usize {
    let written = step.to_string();
    written
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len().min(15))
}

/// `value` written with `decimals` decimals, read back: `0.30000000000000004` → `0.3`.
fn rounded(value: f64, decimals: usize) -> f64 {
    format!("{value:.decimals$}").parse().unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn integers_keep_to_bounds_and_steps() {
        let cases = [
            (json!({"minimum": 1, "maximum": 3}), 1.0, 3.0, 1.0),
            (
                json!({"exclusiveMinimum": 0, "exclusiveMaximum": 2}),
                1.0,
                1.0,
                1.0,
            ),
            (json!({"minimum": 10, "multipleOf": 5}), 10.0, 110.0, 5.0),
            (json!({"maximum": -7}), -107.0, -7.0, 1.0),
            (
                json!({"minimum": 0, "maximum": 10, "multipleOf": 2.5}),
                0.0,
                10.0,
                5.0,
            ),
            (
                json!({"minimum": 1, "exclusiveMinimum": true}),
                2.0,
                101.0,
                1.0,
            ),
        ];
        for (schema_value, low, high, step) in cases {
            let object = schema(schema_value.clone());
            for seed in 0..50 {
                let value = integer(&object, &mut Rng::new(seed), (seed % 4) as u32)
                    .as_f64()
                    .unwrap();
                assert!(
                    (low..=high).contains(&value) && (value / step).fract() == 0.0,
                    "{schema_value}: {value}"
                );
            }
        }
    }

    #[test]
    fn numbers_keep_to_bounds_and_steps() {
        let cases = [
            (json!({"exclusiveMinimum": 0, "maximum": 1}), 0.0, 1.0, None),
            (
                json!({"exclusiveMinimum": 0, "exclusiveMaximum": 1}),
                0.0,
                1.0,
                None,
            ),
            (
                json!({"minimum": 0, "maximum": 1, "multipleOf": 0.1}),
                0.0,
                1.0,
                Some(0.1),
            ),
            (json!({"minimum": 5, "maximum": 5}), 5.0, 5.0, None),
            (json!({"multipleOf": 0.01}), 0.0, 100.0, Some(0.01)),
        ];
        for (schema_value, low, high, step) in cases {
            let object = schema(schema_value.clone());
            let bounds = Bounds::of(&object);
            for seed in 0..50 {
                let value = number(&object, &mut Rng::new(seed), (seed % 4) as u32)
                    .as_f64()
                    .unwrap();
                assert!(bounds.contains(value), "{schema_value}: {value}");
                assert!((low..=high).contains(&value), "{schema_value}: {value}");
                if let Some(step) = step {
                    let ratio = value / step;
                    assert!(
                        (ratio - ratio.round()).abs() < 1e-9,
                        "{schema_value}: {value}"
                    );
                    assert!(value.to_string().len() <= 6, "{schema_value}: {value}");
                }
            }
        }
    }

    #[test]
    fn impossible_or_absurd_bounds_do_not_panic() {
        for schema_value in [
            json!({"minimum": 5, "maximum": 1}),
            json!({"exclusiveMinimum": 1, "exclusiveMaximum": 1}),
            json!({"minimum": 1e300, "multipleOf": 1e-300}),
            json!({"maximum": -1e300}),
            json!({"multipleOf": 0}),
            json!({"multipleOf": -3}),
        ] {
            let object = schema(schema_value);
            for shrink in [0, 1, u32::MAX] {
                let _ = integer(&object, &mut Rng::new(1), shrink);
                let _ = number(&object, &mut Rng::new(1), shrink);
            }
        }
    }
}
