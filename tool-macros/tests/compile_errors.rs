//! `#[tool]`'s compile-time errors (trybuild).
//!
//! The `.stderr` files are pinned to the project's toolchain (`rust-toolchain.toml`); on another
//! compiler the messages may be worded differently, so the failing cases only run on that one.
//!
//! Only failing cases live here: trybuild then merely checks (`cargo check`) in a target
//! directory of its own, instead of building every dependency whole a second time. The forms
//! that must compile are the ordinary tests in `tests/forms/`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    if pinned_toolchain() {
        t.compile_fail("tests/ui/fail/*.rs");
    } else {
        eprintln!("skipping tests/ui/fail: rustc is not the pinned 1.95 toolchain");
    }
}

fn pinned_toolchain() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).starts_with("rustc 1.95."))
}
