//! A file sink's `_spark_metadata` log (entries and `.compact` files) on any bytes: the
//! reader returns the listed files or an error message, never panics. The input is a directory
//! of log files in `rill_fuzz::split_files`'s format (`== <name>` lines start files).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stream_core::sink::FileSink;

fuzz_target!(|data: &[u8]| {
    let files = rill_fuzz::split_files(data);
    let Ok(paths) = FileSink::parse_metadata_log(&files) else {
        return;
    };
    // Every listed file comes from a record of a live entry: no more paths than record lines.
    let lines: usize = files
        .iter()
        .map(|(_, bytes)| bytes.split(|&b| b == b'\n').count())
        .sum();
    assert!(paths.len() <= lines, "{} paths from {lines} lines", paths.len());
    // The order of the files in the directory does not matter.
    let mut reversed = files.clone();
    reversed.reverse();
    let again = FileSink::parse_metadata_log(&reversed);
    // Two files with the same batch id and kind (possible only in fuzz input, not on disk) may
    // be taken in either order, so compare only when the names are distinct.
    let mut names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() == files.len() {
        assert_eq!(again.as_ref(), Ok(&paths));
    }
});
