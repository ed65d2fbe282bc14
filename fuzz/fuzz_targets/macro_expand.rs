//! The `stream!` macro on any text: it must return Rust items (code or `compile_error!`s),
//! never panic. Seeds: `seeds/macro_expand`, the bodies of every `stream!` in the repository.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        rill_fuzz::expand_and_check(text);
    }
});
