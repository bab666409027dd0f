use tool_runtime::tool;

/// Say hello.
#[tool(name = "a_name_that_goes_on_and_on_well_past_the_sixty_four_character_limit")]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
