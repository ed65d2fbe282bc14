//! Collected diagnostics (serde's `Ctxt` habit): every stage reports all the errors it finds,
//! and the driver turns them into one `compile_error!` per error, each on its own span.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::{Span, TokenStream};

/// Errors reported so far. Dropping it without [`Diagnostics::finish`] is a bug in the macro
/// and panics in tests.
#[derive(Default)]
pub(crate) struct Diagnostics {
    errors: RefCell<Vec<syn::Error>>,
    finished: bool,
}

impl Diagnostics {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Reports an error at `span`. Line 1 of `message` is the rule; further lines are
    /// `note:` / `help:` lines.
    pub(crate) fn error(&self, span: Span, message: impl Display) {
        self.errors.borrow_mut().push(syn::Error::new(span, message));
    }

    /// The errors as `compile_error!` invocations, consuming the collector.
    pub(crate) fn finish(mut self) -> Option<TokenStream> {
        self.finished = true;
        let errors = std::mem::take(&mut *self.errors.borrow_mut());
        if errors.is_empty() {
            return None;
        }
        Some(errors.into_iter().map(|e| e.to_compile_error()).collect())
    }

    /// The messages reported so far (for unit tests).
    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.errors.borrow().iter().map(ToString::to_string).collect()
    }
}

impl Drop for Diagnostics {
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() && !self.errors.borrow().is_empty() {
            // Only reachable through a bug in the macro: a stage reported errors and the
            // driver forgot to emit them.
            debug_assert!(false, "internal error: diagnostics dropped without being emitted");
        }
    }
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(&lower, &candidate.to_lowercase()), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len().max(name.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let columns = ["event_id", "user_id", "event_type", "event_time", "amount"];
        assert_eq!(did_you_mean("usr_id", columns), Some("user_id"));
        assert_eq!(did_you_mean("amout", columns), Some("amount"));
        assert_eq!(did_you_mean("event_tpye", columns), Some("event_type"));
        assert_eq!(did_you_mean("zzz", columns), None);
        assert_eq!(did_you_mean("AMOUNT", columns), Some("amount"));
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
