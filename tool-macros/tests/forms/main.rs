//! Every supported form of `#[tool]` and `#[toolset]` compiles, stays callable as written, and
//! registers. (What must not compile is in `compile_errors.rs`; these are ordinary tests, so
//! that the compile-fail suite only checks its cases and never builds its dependencies whole.)

// The forms are what users write, lints and all.
#![allow(dead_code, missing_docs, unreachable_pub, clippy::all)]

mod description_given;
mod every_form;
mod state_and_methods;

#[test]
fn every_form_compiles_and_registers() {
    every_form::main();
}

#[test]
fn a_description_stands_in_for_docs() {
    description_given::main();
}

#[test]
fn state_extractors_and_methods() {
    state_and_methods::main();
}
