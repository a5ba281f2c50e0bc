//! Prints the OpenAPI spec the raw client was generated from (the bundled
//! spec after `patches/`), e.g. for schemathesis or other OpenAPI tools:
//! `cargo run -q --example patched_spec > talkjs-openapi.patched.json`.

fn main() {
    println!("{}", talkjs::raw::PATCHED_SPEC);
}
