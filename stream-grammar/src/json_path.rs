//! Spark's JSON paths for `get_json_object` (its `JsonPathParser`): `$`, then `.name` or
//! `['name']` members, `[n]` and `[*]` subscripts, `.*` and `['*']` member wildcards.

/// One step of a path, as Spark's parser lays it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `.name` / `['name']` (Spark's `Key :: Named(name)`).
    Member(String),
    /// `[n]`.
    Index(u64),
    /// `[*]`: every element.
    Elements,
    /// `.*` / `['*']`: a member wildcard (Spark's bare `Wildcard`).
    AnyMember,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    /// The steps after `$`.
    pub steps: Vec<Step>,
}

impl JsonPath {
    /// Parses `path` as Spark does; an error says what is wrong (Spark itself gives null for
    /// every row).
    ///
    /// ```
    /// use stream_grammar::json_path::{JsonPath, Step};
    /// let path = JsonPath::parse("$.device['os'][0]").unwrap();
    /// assert_eq!(path.steps, [Step::Member("device".into()), Step::Member("os".into()), Step::Index(0)]);
    /// assert!(JsonPath::parse("device.os").is_err());
    /// ```
    ///
    /// # Errors
    /// When `path` is not one Spark's parser accepts.
    pub fn parse(path: &str) -> Result<Self, String> {
        let Some(mut rest) = path.strip_prefix('$') else {
            return Err("a path starts with `$`".to_owned());
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix(".*").or_else(|| rest.strip_prefix("['*']")) {
                steps.push(Step::AnyMember);
                rest = after;
            } else if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                if end == 0 {
                    return Err(format!("a member name is missing after `.` in `{path}`"));
                }
                steps.push(Step::Member(after[..end].to_owned()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix("['") {
                let end = after.find(['\'', '?']).unwrap_or(after.len());
                if end == 0 || !after[end..].starts_with("']") {
                    return Err(format!("`['` opens a member name that `']` must close in `{path}`"));
                }
                steps.push(Step::Member(after[..end].to_owned()));
                rest = &after[end + 2..];
            } else if let Some(after) = rest.strip_prefix("[*]") {
                steps.push(Step::Elements);
                rest = after;
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
                let index = after[..end]
                    .parse::<u64>()
                    .map_err(|_| format!("`[` takes an index or `*` in `{path}`"))?;
                if !after[end..].starts_with(']') {
                    return Err(format!("an index must be closed by `]` in `{path}`"));
                }
                steps.push(Step::Index(index));
                rest = &after[end + 1..];
            } else {
                return Err(format!(
                    "unexpected `{}` in `{path}`",
                    rest.chars().next().unwrap_or(' ')
                ));
            }
        }
        Ok(Self { steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_as_sparks_parser_does() {
        let steps = |path: &str| JsonPath::parse(path).map(|p| p.steps);
        assert_eq!(steps("$"), Ok(vec![]));
        assert_eq!(
            steps("$.a.b"),
            Ok(vec![Step::Member("a".into()), Step::Member("b".into())])
        );
        assert_eq!(
            steps("$.tags[*]"),
            Ok(vec![Step::Member("tags".into()), Step::Elements])
        );
        assert_eq!(steps("$.*"), Ok(vec![Step::AnyMember]));
        assert_eq!(steps("$['a b']"), Ok(vec![Step::Member("a b".into())]));
        for bad in ["", "a", "$.", "$..a", "$[x]", "$['a'", "$[1", "$ a"] {
            assert!(steps(bad).is_err(), "{bad}");
        }
    }
}
