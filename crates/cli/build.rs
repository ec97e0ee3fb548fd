//! Links the `loupe` binary as a position-dependent executable on Linux.
//!
//! The binary carries DataFusion and Arrow: ~90 MB of code and ~210,000 pointers in
//! read-only data. As a position-independent executable, the dynamic loader rewrites every one
//! of those pointers at each start (touching ~900 pages), which took ~4 ms of every `loupe`
//! command; linked at a fixed address, the linker resolves them once and a start touches only
//! the pages it uses. (The code itself stays position-independent, as Rust compiles it.)

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
