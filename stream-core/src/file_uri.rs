//! Paths as `file://` URIs, as Spark's logs record them, byte for byte.
//!
//! A file's name is bytes on Unix, not always UTF-8. The source log and the file sink's
//! `_spark_metadata` log store each path as a URI whose bytes outside a URI path's safe set
//! (a space, a `%`, non-ASCII, invalid UTF-8) are percent-encoded, so a name is stored exactly
//! and read back as the same file.
//!
//! ```
//! use std::path::Path;
//! use stream_core::file_uri::{from_file_uri, to_file_uri};
//! let uri = to_file_uri(Path::new("/data/in/a b%.json"));
//! assert_eq!(uri, "file:///data/in/a%20b%25.json");
//! assert_eq!(from_file_uri(&uri).as_deref(), Some(Path::new("/data/in/a b%.json")));
//! ```

use std::path::{Path, PathBuf};

/// `path` as a `file://` URI: bytes a URI path may not hold are percent-encoded.
#[must_use]
pub fn to_file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for &byte in path_bytes(path).as_ref() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// The path a `file:` URI names, its percent-escapes decoded once; `None` when `uri` is not a
/// `file:` URI. Spark writes both `file:///a` and `file:/a`.
#[must_use]
pub fn from_file_uri(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    Some(path_from_bytes(percent_decode(rest)))
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
pub(crate) fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(byte) = text
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    out
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(path.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    match path.to_string_lossy() {
        std::borrow::Cow::Borrowed(text) => std::borrow::Cow::Borrowed(text.as_bytes()),
        std::borrow::Cow::Owned(text) => std::borrow::Cow::Owned(text.into_bytes()),
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spark_spellings_are_read() {
        assert_eq!(from_file_uri("file:/a/b%20c"), Some(PathBuf::from("/a/b c")));
        assert_eq!(from_file_uri("file:///a/b"), Some(PathBuf::from("/a/b")));
        assert_eq!(from_file_uri("/a/b"), None);
        assert_eq!(from_file_uri("file:///a/100%"), Some(PathBuf::from("/a/100%")));
    }

    #[cfg(unix)]
    proptest! {
        #[test]
        fn any_name_round_trips_exactly(name in proptest::collection::vec(1u8..=255, 1..40)) {
            use std::os::unix::ffi::OsStringExt;
            let name: Vec<u8> = name.into_iter().filter(|&b| b != b'/').collect();
            prop_assume!(!name.is_empty());
            let path = Path::new("/in").join(std::ffi::OsString::from_vec(name));
            let uri = to_file_uri(&path);
            prop_assert!(uri.is_ascii());
            prop_assert_eq!(from_file_uri(&uri), Some(path));
        }
    }
}
