//! The engine — sources, sinks, triggers, state, checkpoints, joins, output modes — as one test
//! binary: each file named here is a module of it. Run one file's tests with
//! `cargo test --test streaming recovery::`.
//!
//! The integration tests are two binaries rather than one per file: each binary linked on its
//! own held a copy of Arrow, Parquet and Rill (≈60 MB in a debug build, 2 GB for 38 files),
//! enough to fill CI's disk; one binary compiled on one core. `crash.rs` (which runs itself as a
//! child process) and `ui.rs` (trybuild) stay binaries of their own.
#[path = "bad_input.rs"]
pub mod bad_input;
#[path = "chained.rs"]
pub mod chained;
#[path = "checkpoint_state.rs"]
pub mod checkpoint_state;

#[path = "common/mod.rs"]
mod common;
#[path = "event_time.rs"]
pub mod event_time;
#[path = "file_sinks.rs"]
pub mod file_sinks;
#[path = "file_sources.rs"]
pub mod file_sources;
#[path = "groups_with_state.rs"]
pub mod groups_with_state;
#[path = "incremental.rs"]
pub mod incremental;
#[path = "json_fast_path.rs"]
pub mod json_fast_path;
#[path = "memory_stream.rs"]
pub mod memory_stream;
#[path = "nothing_lost.rs"]
pub mod nothing_lost;
#[path = "output_modes.rs"]
pub mod output_modes;
#[path = "parse_modes.rs"]
pub mod parse_modes;
#[path = "rate_source.rs"]
pub mod rate_source;
#[path = "recovery.rs"]
pub mod recovery;
#[path = "seed_chapter.rs"]
pub mod seed_chapter;
#[path = "session_windows.rs"]
pub mod session_windows;
#[path = "state_bounds.rs"]
pub mod state_bounds;
#[path = "state_lock.rs"]
pub mod state_lock;
#[path = "stream_static_join.rs"]
pub mod stream_static_join;
#[path = "stream_stream_join.rs"]
pub mod stream_stream_join;
#[path = "transform_with_state.rs"]
pub mod transform_with_state;
#[path = "union.rs"]
pub mod union;
#[path = "union_schemas.rs"]
pub mod union_schemas;
