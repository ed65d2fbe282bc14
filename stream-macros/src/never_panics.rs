//! The macro never panics: on any tokens, `expand` returns Rust items — the generated code,
//! or `compile_error!`s next to typed stubs.
//!
//! Two generators: random token trees from the language's vocabulary (keywords, operation
//! and function names, types, identifiers, literals, punctuation, groups), and random
//! mutations (deletions, swaps, insertions, duplications, truncations) of valid inputs at any
//! depth. `PROPTEST_CASES=20000 cargo test -p stream-macros never_panics` runs many more cases
//! than the default 256. The `macro_expand` fuzz target (`fuzz/`) checks the same on raw text.
//! Every input that once panicked is a test at the end of this file.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::select;

use crate::expand::expand;

/// Expands `input`; fails the test when the macro panics or returns something that is not items.
fn assert_expands_to_items(input: &TokenStream) {
    let output = match catch_unwind(AssertUnwindSafe(|| expand(input))) {
        Ok(output) => output,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(not a string)");
            panic!("the macro panicked: {message}\n--- input:\n{input}");
        }
    };
    if let Err(error) = syn::parse2::<syn::File>(output.clone()) {
        panic!("the expansion is not Rust items: {error}\n--- input:\n{input}\n--- expansion:\n{output}");
    }
}

/// Lexes `text` (which must be Rust tokens) and checks it.
fn assert_text_expands_to_items(text: &str) {
    let input: TokenStream = text.parse().unwrap_or_else(|e| panic!("not tokens: {e}\n{text}"));
    assert_expands_to_items(&input);
}

/// A token tree as the generators build it.
#[derive(Clone, Debug)]
enum Tok {
    /// An identifier, literal or punctuation, as source text; `joint` glues it to the next one.
    Leaf {
        text: String,
        joint: bool,
    },
    Group(Delimiter, Vec<Tok>),
}

fn leaf(text: &str) -> Tok {
    Tok::Leaf {
        text: text.to_owned(),
        joint: false,
    }
}

fn render(tokens: &[Tok], out: &mut String) {
    for token in tokens {
        match token {
            Tok::Leaf { text, joint } => {
                out.push_str(text);
                if !joint {
                    out.push(' ');
                }
            }
            Tok::Group(delimiter, inner) => {
                let (open, close) = match delimiter {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                render(inner, out);
                out.push_str(close);
                out.push(' ');
            }
        }
    }
}

fn to_text(tokens: &[Tok]) -> String {
    let mut text = String::new();
    render(tokens, &mut text);
    text
}

fn from_stream(stream: TokenStream) -> Vec<Tok> {
    stream
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => Tok::Group(group.delimiter(), from_stream(group.stream())),
            TokenTree::Punct(punct) => Tok::Leaf {
                text: punct.as_char().to_string(),
                joint: punct.spacing() == Spacing::Joint,
            },
            TokenTree::Ident(ident) => leaf(&ident.to_string()),
            TokenTree::Literal(literal) => leaf(&literal.to_string()),
        })
        .collect()
}

/// Words of the language: items, operations, functions, types and names its rules single out.
const KEYWORDS: &[&str] = &[
    "schema",
    "query",
    "raw",
    "filter",
    "select",
    "with_column",
    "with_column_renamed",
    "drop",
    "group_by",
    "agg",
    "with_watermark",
    "drop_duplicates",
    "drop_duplicates_within_watermark",
    "keep_late_rows",
    "window",
    "window_time",
    "session_window",
    "start",
    "end",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "round",
    "abs",
    "coalesce",
    "concat",
    "lower",
    "upper",
    "length",
    "is_null",
    "is_not_null",
    "to_timestamp",
    "to_date",
    "date_format",
    "year",
    "month",
    "hour",
    "day_of_week",
    "String",
    "i32",
    "i64",
    "f64",
    "bool",
    "Timestamp",
    "Date",
    "Option",
    "Window",
    "f32",
    "u8",
    "str",
];

/// Other identifiers: columns of the valid inputs, Rust keywords, raw and odd names.
const IDENTS: &[&str] = &[
    "Event",
    "Q",
    "user_id",
    "event_id",
    "event_time",
    "event_type",
    "amount",
    "n",
    "x",
    "_",
    "__stream_state",
    "r#type",
    "r#match",
    "self",
    "Self",
    "crate",
    "super",
    "fn",
    "type",
    "match",
    "let",
    "mod",
    "async",
    "dyn",
    "true",
    "false",
    "core",
    "std",
    "rill",
    "Ok",
    "None",
    "ü",
    "ƒoo",
];

const LITERALS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "340282366920938463463374607431768211456",
    "1_000",
    "0x7f",
    "0b1",
    "1i32",
    "1i64",
    "1u8",
    "1usize",
    "1f64",
    "1.5",
    "0.0",
    "1e308",
    "1e400",
    "1.5f32",
    "1.0e-9",
    "'a'",
    "b'a'",
    "b\"x\"",
    "c\"x\"",
    "r\"raw\"",
    "r#\"a\"b\"#",
    "\"\"",
    "\"purchase\"",
    "\"10 minutes\"",
    "\"1 hour\"",
    "\"0 seconds\"",
    "\"-5 minutes\"",
    "\"1 day 2 hours\"",
    "\"1 month\"",
    "\"9223372036854775807 days\"",
    "\"99999999999999999999 seconds\"",
    "\"1.5 hours\"",
    "\"interval 1 week\"",
    "\"yyyy-MM-dd HH:mm:ss\"",
    "\"HH:mm\"",
    "\"'quoted' yyyy\"",
    "\"Q\"",
    "\"\\u{0}\"",
    "\"🦀\"",
    "\"x\"suffix",
    "1suffix",
];

const PUNCT: &[&str] = &[
    ".", ",", ":", ";", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "!", "&&", "||", "#", "?", "@",
    "::", "->", "=>", "&", "|", "^", "$", "~", "..",
];

fn vocabulary() -> impl Strategy<Value = Tok> {
    prop_oneof![
        3 => select(KEYWORDS),
        2 => select(IDENTS),
        2 => select(LITERALS),
        3 => select(PUNCT),
    ]
    .prop_map(leaf)
}

fn token_tree() -> impl Strategy<Value = Tok> {
    vocabulary().prop_recursive(4, 48, 8, |inner| {
        (
            select(&[Delimiter::Parenthesis, Delimiter::Brace, Delimiter::Bracket][..]),
            prop::collection::vec(inner, 0..8),
        )
            .prop_map(|(delimiter, tokens)| Tok::Group(delimiter, tokens))
    })
}

/// Inputs the macro accepts, between them using every operation and kind of query.
const VALID: &[&str] = &[
    r#"
    /// An event.
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64, coupon: Option<String> }
    query SpendByUser(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .filter(amount >= 0.0 && coupon.is_null())
           .group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2), average = avg(amount))
    }
    query Purchases(raw: Event) {
        raw.filter(event_type == "purchase" && amount > 100)
           .select(event_id, user_id, doubled = amount * 2, label = upper(concat(user_id, "-", coalesce(coupon, ""))))
    }
    "#,
    r#"
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }
    query Hourly(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time, "yyyy-MM-dd HH:mm:ss"))
           .with_watermark(event_time, "10 minutes")
           .keep_late_rows()
           .group_by(window(event_time, "1 hour", "20 minutes", "5 minutes"), event_type)
           .agg(events = count(), amount = sum(amount))
           .select(start = window.start, end = window.end, hour = date_format(window.start, "HH:mm"), event_type, events)
    }
    query Dedup(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "30 minutes")
           .drop_duplicates_within_watermark(event_id)
           .select(event_id, event_time)
    }
    "#,
    r#"
    schema Click { user_id: String, event_time: Timestamp, amount: f64, n: i32, day: Date, ok: bool }
    query Sessions(raw: Click) {
        raw.with_watermark(event_time, "10 minutes")
           .group_by(session_window(event_time, "10 minutes"), user_id)
           .agg(clicks = count(), amount = sum(amount), most = max(n))
    }
    query Daily(raw: Click) {
        raw.with_column_renamed(amount, usd)
           .drop(ok)
           .with_column(eur = usd * 0.9, m = n % 7, neg = -(n * 2 + 1))
           .group_by(user_id, d = to_date(event_time))
           .agg(total = sum(eur), first = min(day))
           .filter(total > 1)
    }
    query Global(raw: Click) {
        raw.filter(!ok || n != 0).agg(n = count(), y = max(year(event_time)))
    }
    "#,
    r#"
    schema Sale { user: String, event_time: Timestamp, amount: i64 }
    schema Click { c_user: String, click_time: Timestamp }
    schema Counted { user: String, t: Timestamp, seen: i64 }
    query Hourly(sales: Sale) {
        sales.with_watermark(event_time, "10 minutes")
             .group_by(window(event_time, "5 minutes"), user)
             .agg(n = count(), total = sum(amount))
             .select(window, n, last = window_time(window))
             .group_by(window(window_time(window), "1 hour"))
             .agg(windows = count(), events = sum(n))
             .filter(events > 1)
    }
    query Joined(sales: Sale, clicks: Click) {
        sales.with_watermark(event_time, "10 minutes")
             .join(clicks.with_watermark(click_time, "5 minutes"), user == c_user && click_time >= event_time && click_time <= event_time + interval("5 minutes"))
             .group_by(window(click_time, "10 minutes"), user)
             .agg(clicks = count())
    }
    query Counts(sales: Sale) {
        sales.with_watermark(event_time, "10 minutes")
             .group_by(user)
             .transform_with_state(Counter, EventTime, input = Sale, output = Counted, event_time = t)
             .group_by(window(t, "10 minutes"))
             .agg(rows = count(), most = max(seen))
    }
    "#,
];

/// A mutation of a token tree, at the `sequence`-th token sequence in depth-first order.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Swap(usize, usize),
    Insert(usize, Tok),
    Replace(usize, Tok),
    Duplicate(usize),
    Truncate(usize),
    /// Replaces a group by its contents.
    Unwrap(usize),
}

fn mutation() -> impl Strategy<Value = (usize, Mutation)> {
    let at = any::<usize>();
    let mutation = prop_oneof![
        at.prop_map(Mutation::Delete),
        (at, at).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (at, token_tree()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (at, vocabulary()).prop_map(|(a, t)| Mutation::Replace(a, t)),
        at.prop_map(Mutation::Duplicate),
        at.prop_map(Mutation::Truncate),
        at.prop_map(Mutation::Unwrap),
    ];
    (any::<usize>(), mutation)
}

fn count_sequences(tokens: &[Tok]) -> usize {
    1 + tokens
        .iter()
        .map(|t| match t {
            Tok::Group(_, inner) => count_sequences(inner),
            Tok::Leaf { .. } => 0,
        })
        .sum::<usize>()
}

/// Applies `mutation` to the `target`-th sequence (depth first); returns whether it was reached.
fn mutate(tokens: &mut Vec<Tok>, target: &mut usize, mutation: &Mutation) -> bool {
    if *target == 0 {
        let len = tokens.len();
        let at = |i: usize| i % len.max(1);
        match mutation.clone() {
            Mutation::Insert(i, token) => tokens.insert(i % (len + 1), token),
            _ if len == 0 => {}
            Mutation::Delete(i) => {
                tokens.remove(at(i));
            }
            Mutation::Swap(i, j) => tokens.swap(at(i), at(j)),
            Mutation::Replace(i, token) => tokens[at(i)] = token,
            Mutation::Duplicate(i) => tokens.insert(at(i), tokens[at(i)].clone()),
            Mutation::Truncate(i) => tokens.truncate(at(i)),
            Mutation::Unwrap(i) => {
                if let Tok::Group(_, inner) = tokens[at(i)].clone() {
                    tokens.splice(at(i)..=at(i), inner);
                }
            }
        }
        return true;
    }
    *target -= 1;
    tokens.iter_mut().any(|token| match token {
        Tok::Group(_, inner) => mutate(inner, target, mutation),
        Tok::Leaf { .. } => false,
    })
}

/// `cases` cases, or `PROPTEST_CASES` when set; regressions are kept as named tests below, not
/// in a file beside this one.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_token_trees_expand_to_items(tokens in prop::collection::vec(token_tree(), 0..24)) {
        assert_text_expands_to_items(&to_text(&tokens));
    }
}

// Each case expands whole queries, so fewer cases keep the test fast in debug builds.
proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn random_tokens_after_a_valid_prefix_expand_to_items(
        valid in select(VALID),
        cut in any::<usize>(),
        tokens in prop::collection::vec(token_tree(), 0..12),
    ) {
        // A valid schema and query, cut anywhere at the top level, then random tokens.
        let mut input = from_stream(valid.parse().unwrap());
        input.truncate(cut % (input.len() + 1));
        input.extend(tokens);
        assert_text_expands_to_items(&to_text(&input));
    }

    #[test]
    fn mutated_valid_inputs_expand_to_items(
        valid in select(VALID),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut input = from_stream(valid.parse().unwrap());
        for (sequence, mutation) in &mutations {
            let mut target = sequence % count_sequences(&input);
            mutate(&mut input, &mut target, mutation);
        }
        assert_text_expands_to_items(&to_text(&input));
    }
}

#[test]
fn the_valid_inputs_expand_without_errors() {
    for valid in VALID {
        let output = expand(&valid.parse().unwrap());
        assert!(!output.to_string().contains("compile_error"), "{output}");
        assert_text_expands_to_items(valid);
    }
}

#[test]
fn the_generators_make_tokens_that_lex() {
    // Every vocabulary entry lexes on its own, so no generated case is wasted.
    for text in KEYWORDS.iter().chain(IDENTS).chain(LITERALS).chain(PUNCT) {
        assert!(text.parse::<TokenStream>().is_ok(), "{text}");
    }
}

// Inputs that once made the macro panic or return tokens that are not items, each as found and
// reduced. Each names what found it.

/// `random_tokens_after_a_valid_prefix_expand_to_items`: input that does not parse, with a
/// keyword after `query`/`schema`, got the stub `pub struct true {}` (fixed in
/// `fallback::stubs_from_tokens`).
#[test]
fn keyword_named_items_in_input_that_does_not_parse_get_no_stub() {
    assert_text_expands_to_items(
        r#"# [doc = " An event."] schema true (core with_column_renamed ƒoo 1.0e-9 0x7f "1 hour" { bool 9223372036854775807 # round filter Timestamp } (; => to_timestamp event_id amount)) { } { * > (&& ! crate ? 1e400 coalesce .) "" 1 { x } agg "purchase" }"#,
    );
    assert_text_expands_to_items("schema Event { a: i64 } query true (x) { }");
    assert_text_expands_to_items("schema true { } schema _ { } query fn ( ) query self query Self schema crate");
    // A name twice gets one stub.
    let output = expand(&"schema A { } schema A { } query Q ( ) query Q { } !".parse().unwrap()).to_string();
    assert_eq!(output.matches("pub struct A ").count(), 1, "{output}");
    assert_eq!(output.matches("pub struct Q ").count(), 1, "{output}");
}

/// `macro_expand` fuzz target (`crash-671ef34f…`), and `mutated_valid_inputs_expand_to_items`:
/// a Rust keyword as a column name (`unsafe: ..` in a schema, `type` in `group_by`) was
/// accepted, so the row struct had a field `pub unsafe: ..`. Now a parse error (`parse::expr::column_name`).
#[test]
fn keyword_column_names_are_errors_not_struct_fields() {
    assert_text_expands_to_items(
        "schema Event { event_id: String, user_id: String, event_type: String, event_time: String, unsafe: Option<fnOption<f64>> }

    query SpendByUser(raw: Event) {
        raw.group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
",
    );
    assert_text_expands_to_items(
        r#"schema Click { user_id : String , event_time : Timestamp , amount : f64 , n : i32 , day : Date , ok : bool } query Sessions (raw : Click) { raw . with_watermark (event_time , "10 minutes") . group_by (session_window (event_time , "10 minutes") , type) . agg (clicks = count () , amount = sum (amount) , most = max (n)) } query Daily (raw : Click) { raw . with_column_renamed (amount , usd) . drop (ok) . with_column (eur = usd * 0.9 , m = n % 7 , neg = - (n * 2 + 1)) . group_by (user_id , d = to_date (event_time)) . agg (total = sum (eur) , first = min (day)) . filter (total > 1) } query Global (raw : Click) { raw . filter (! ok || n != 0) . agg (n = count () , y = max (year (event_time))) }"#,
    );
    for input in [
        "schema E { type: String } query Q(raw: E) { raw.select(r#type) }",
        "schema E { a: i64 } query Q(raw: E) { raw.select(self) }",
        "schema E { a: i64 } query Q(raw: E) { raw.group_by(window(a, \"1 hour\")).agg(n = count()).select(window.fn) }",
        "schema E { a: i64 } query Q(raw: E) { raw.with_column_renamed(a, match) }",
        "schema E { _: i64 } query Q(raw: E) { raw.select(_) }",
    ] {
        assert_text_expands_to_items(input);
        let output = expand(&input.parse().unwrap()).to_string();
        assert!(
            output.contains("is a Rust keyword and cannot name a column"),
            "{output}"
        );
    }
}

/// Runs `check` on a thread with the stack rustc gives the macro (its main thread's 8 MiB), in
/// this debug build, where frames are larger than in the release builds the fuzzer uses.
fn on_compiler_stack(check: impl FnOnce() + Send + 'static) {
    let thread = std::thread::Builder::new().stack_size(8 << 20).spawn(check).unwrap();
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

/// Found by hand after the `macro_expand` fuzz target's own check overflowed on
/// `- - .. - a` 2,000 deep (the check now runs on a large stack): the macro itself overflowed
/// the stack — a compiler crash, not an error — at about 20,000 nested `-`, `(`, `+` terms or
/// `#[doc = - - ..]` levels (and syn itself overflowed on brackets nested that deep). Now
/// brackets nest at most `MAX_GROUP_DEPTH` deep, expressions have at most
/// `MAX_EXPRESSION_PARTS` parts, type arguments nest at most 8 deep and attributes hold at
/// most 1024 tokens.
#[test]
fn deeply_nested_inputs_are_errors_not_stack_overflows() {
    on_compiler_stack(|| {
        let n = 20_000;
        let cases = [
            (
                format!(
                    "schema E {{ a: i64 }} query Q(raw: E) {{ raw.filter({}a > 1) }}",
                    "-".repeat(n)
                ),
                "this expression is too long",
            ),
            (
                format!(
                    "schema E {{ a: i64 }} query Q(raw: E) {{ raw.filter({}a{} > 1) }}",
                    "(".repeat(n),
                    ")".repeat(n)
                ),
                "brackets nest more than 128 deep",
            ),
            (
                format!("schema E {{ a: i64 }} {}{}", "[".repeat(n), "]".repeat(n)),
                "brackets nest more than 128 deep",
            ),
            (
                format!(
                    "schema E {{ a: i64 }} query Q(raw: E) {{ raw.select(b = a{}) }}",
                    " + a".repeat(n)
                ),
                "this expression is too long",
            ),
            (
                format!(
                    "schema E {{ a: i64 }} query Q(raw: E) {{ raw.select(b = a{}) }}",
                    ".f()".repeat(n)
                ),
                "this expression is too long",
            ),
            (
                format!("schema E {{ a: {}i64{} }}", "Option<".repeat(n), ">".repeat(n)),
                "type arguments nest more than 8 deep",
            ),
            (
                format!("#[doc = {}1] schema E {{ a: i64 }}", "-".repeat(n)),
                "this attribute is longer than 1024 tokens",
            ),
            (
                format!("schema E {{ #[doc = {}1] a: i64 }}", "!".repeat(n)),
                "this attribute is longer than 1024 tokens",
            ),
        ];
        for (input, message) in cases {
            let output = expand(&input.parse().unwrap()).to_string();
            assert!(
                output.contains(message),
                "{message}: {}",
                &output[..output.len().min(2000)]
            );
            assert_text_expands_to_items(&input);
        }
    });
}

#[test]
fn expressions_at_the_size_limit_still_expand() {
    on_compiler_stack(|| {
        let parts = crate::parse::MAX_EXPRESSION_PARTS;
        // `a + a + .. + a`: one part per operand; `- - .. a`: one per level; parentheses
        // inside the query's `{ }` and `select( )`.
        let sum = format!("a{}", " + a".repeat(parts - 1));
        let negations = format!("{}a", "-".repeat(parts - 1));
        let depth = crate::parse::MAX_GROUP_DEPTH - 2;
        let parentheses = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
        for expression in [sum, negations, parentheses] {
            let input = format!("schema E {{ a: i64 }} query Q(raw: E) {{ raw.select(b = {expression}) }}");
            let output = expand(&input.parse().unwrap()).to_string();
            assert!(
                !output.contains("compile_error"),
                "{}",
                &output[..output.len().min(2000)]
            );
            assert_text_expands_to_items(&input);
        }
    });
}
