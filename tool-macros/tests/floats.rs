//! A `#[tool]` function gets the float the model wrote, correctly rounded.
//!
//! Here, in a crate whose tests do not pull in a dependency that turns on serde_json's
//! `float_roundtrip` feature for them (jsonschema does, in the runtime's tests): it is the
//! runtime's own dependency on that feature that must make this pass.

use std::task::{Context, Poll, Waker};

use tool_runtime::tool::Arguments;
use tool_runtime::{CallContext, tool, tools};

/// Scale a number.
#[tool]
fn scale(x: f64) -> f64 {
    x
}

/// splitmix64, for reproducible random floats.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Polls a future that completes at once (a sync tool runs inline without a runtime).
fn poll_ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a sync tool completes at once"),
    }
}

#[test]
fn floats_decode_correctly_rounded() {
    let toolbox = tools![scale];
    let mut state = 42;
    let mut checked = 0;
    while checked < 5_000 {
        let value = f64::from_bits(next(&mut state));
        if !value.is_finite() {
            continue;
        }
        // 17 significant digits, as a model (or its server) may write them.
        let text = format!("{value:.16e}");
        let expected: f64 = text.parse().unwrap();
        let arguments = Arguments::from(format!(r#"{{"x": {text}}}"#));
        let out = poll_ready(toolbox.call("scale", &arguments, &CallContext::new("c"))).unwrap();
        let got: f64 = out.as_str().parse().unwrap();
        assert_eq!(got.to_bits(), expected.to_bits(), "{text}");
        checked += 1;
    }
}
