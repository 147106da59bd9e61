//! Syntax diagnostics for the regions the grammar's recovery rules skipped: a broken
//! item (E100), a stray `}` (E100), a `port` line outside a service or an item inside
//! one (E105). A skipped region is re-parsed strictly from where it starts, so pest
//! says what it expected at the exact offending token. Must never build AST nodes:
//! what was skipped stays skipped.

use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ast_build::Builder;
use super::grammar::{NetpParser, Rule};
use super::prescan::unterminated_quote;
use super::rule_words::{
    ANY_ITEM_FORM, ITEM_KEYWORDS, SERVICE_LINE_FORM, expected_list, found_words, item_form,
    keywords,
};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};

/// After this many syntax errors in one file (binary garbage, a file in another
/// language), one last error says so and the rest are not reported.
pub(crate) const MAX_ERRORS: usize = 50;

/// What a strict re-parse of a skipped region found.
enum Probe {
    /// The region is a well-formed instance of the probed rule.
    Parses,
    /// pest failed at `pos` (absolute), expecting `expected`.
    Fails { pos: usize, expected: Vec<Rule> },
}

impl Builder<'_> {
    /// Parse `rule` strictly at `start`.
    fn probe(&self, rule: Rule, start: usize) -> Probe {
        let Some(rest) = self.text.get(start..) else {
            return Probe::Parses;
        };
        match NetpParser::parse(rule, rest) {
            Ok(_) => Probe::Parses,
            Err(error) => {
                let pos = match error.location {
                    InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
                };
                let expected = match error.variant {
                    ErrorVariant::ParsingError { positives, .. } => positives,
                    ErrorVariant::CustomError { .. } => Vec::new(),
                };
                Probe::Fails {
                    pos: start + pos,
                    expected,
                }
            }
        }
    }

    /// Counts an error; false once the file has had too many to be worth reporting.
    fn may_report(&mut self, at: usize) -> bool {
        self.errors += 1;
        if self.errors == MAX_ERRORS + 1 {
            let span = self.span_at(at, at);
            self.diagnostics.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    "too many syntax errors, the rest of this file is not checked",
                    span,
                    "stopped here",
                )
                .with_help("is this a netp file? fix the errors above and run again"),
            );
        }
        self.errors <= MAX_ERRORS
    }

    /// `bad_item`: an item that did not parse, where an item was expected.
    pub fn explain_bad_item(&mut self, pair: &Pair<'_, Rule>) {
        let start = self.start(pair);
        if !self.may_report(start) {
            return;
        }
        if let Probe::Parses = self.probe(Rule::service_line_probe, start) {
            let keyword = first_word(pair.as_str());
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MisplacedItem,
                    format!("`{keyword}` outside a service"),
                    self.span(pair),
                    format!("`{keyword}` lines belong inside a service"),
                )
                .with_help(format!(
                    "move this line into the body of the service it describes: `service NAME {{ {} }}`",
                    pair.as_str().trim()
                )),
            );
            return;
        }
        self.explain_failure(Rule::item_probe, pair);
    }

    /// `bad_service_line`: a line of a service body that did not parse.
    pub fn explain_bad_service_line(&mut self, pair: &Pair<'_, Rule>) {
        let start = self.start(pair);
        if self.errors > MAX_ERRORS {
            return;
        }
        let Probe::Parses = self.probe(Rule::item_probe, start) else {
            if self.may_report(start) {
                self.explain_failure(Rule::service_line_probe, pair);
            }
            return;
        };
        if self.in_unclosed_service {
            // Not misplaced: the service above it lacks its `}`, which E101 reports.
            if self.missing_close_before.is_none() {
                self.missing_close_before = Some(self.span(pair));
            }
            return;
        }
        if !self.may_report(start) {
            return;
        }
        let word = first_word(pair.as_str());
        let what = if ITEM_KEYWORDS.contains(&word) {
            format!("`{word}`")
        } else {
            "`needs`".to_owned()
        };
        self.diagnostics.push(
            Diagnostic::new(
                Code::MisplacedItem,
                format!("{what} is not allowed in a service body"),
                self.span(pair),
                "not allowed here",
            )
            .with_help(
                "a service body holds only `select` and `port` lines; move this after the service's closing `}`",
            ),
        );
    }

    /// `stray_close`: a `}` at top level.
    pub fn explain_stray_close(&mut self, pair: &Pair<'_, Rule>) {
        if !self.may_report(self.start(pair)) {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                Code::SyntaxError,
                "unexpected `}`",
                self.span(pair),
                "this `}` closes no block",
            )
            .with_help("remove it, or add the `{` it was meant to close"),
        );
    }

    /// E100 for a region that `rule` cannot parse, at the token where pest stopped.
    fn explain_failure(&mut self, rule: Rule, pair: &Pair<'_, Rule>) {
        let start = self.start(pair);
        let (pos, expected) = match self.probe(rule, start) {
            Probe::Fails { pos, expected } => (pos, expected),
            // Cannot happen (the main parse failed on the same text); say something.
            Probe::Parses => (start, vec![rule]),
        };
        // A string without its closing quote swallowed the rest of its line (and the
        // `;`): that is the mistake to report, not what the parser expected after it.
        if let Some(quote) = unterminated_quote(self.text.get(start..pos).unwrap_or("")) {
            let quote = start + quote;
            self.report_unterminated(quote, pos);
            return;
        }
        let region = pair.as_str();
        let first = first_word(region);
        // Did pest stop at the second word (`service ;`, `servce api;`)?
        let at_second_word = self
            .text
            .get(start + first.len()..pos)
            .is_some_and(|gap| !gap.is_empty() && gap.trim().is_empty());
        let expected = if at_second_word {
            without_needs_reading(first, expected)
        } else {
            expected
        };
        let wanted = expected_list(&expected);
        let (found, found_len) = found_words(self.text, pos, self.source_len);
        let found_span = self.span_at(pos, pos + found_len);
        let help = did_you_mean_help(first, at_second_word, &expected, &found);

        // A missing `;` is noticed on the next line: point just after the last token
        // the item had, where the `;` belongs, as rustc does.
        let before = self.text.get(..pos).unwrap_or("");
        let last_token_end = before.trim_end().len();
        let on_next_line = last_token_end > start
            && before[last_token_end..].contains('\n')
            && !line_has_comment(&before[..last_token_end]);
        let mut diagnostic = if on_next_line {
            Diagnostic::new(
                Code::SyntaxError,
                format!("expected {wanted}, found {found}"),
                self.span_at(last_token_end, last_token_end),
                format!("expected {wanted} here"),
            )
            .with_secondary(found_span, format!("unexpected {found}"))
        } else {
            Diagnostic::new(
                Code::SyntaxError,
                format!("expected {wanted}, found {found}"),
                found_span,
                format!("expected {wanted}"),
            )
        };
        let help = help.unwrap_or_else(|| {
            if expected == [Rule::item_probe] {
                ANY_ITEM_FORM.to_owned()
            } else if expected == [Rule::service_line_probe] {
                SERVICE_LINE_FORM.to_owned()
            } else {
                item_form(first).to_owned()
            }
        });
        diagnostic = diagnostic.with_help(help);
        self.diagnostics.push(diagnostic);
    }
}

/// `service ;` also reads as the start of a need whose subject is `service`, so pest
/// expects `needs` or `,` there too. When the item starts with a keyword and failed
/// right after it, that reading is noise: drop it.
fn without_needs_reading(first: &str, expected: Vec<Rule>) -> Vec<Rule> {
    if !ITEM_KEYWORDS.contains(&first) {
        return expected;
    }
    let kept: Vec<Rule> = expected
        .iter()
        .copied()
        .filter(|r| !matches!(r, Rule::kw_needs | Rule::comma | Rule::slash))
        .collect();
    if kept.is_empty() { expected } else { kept }
}

/// A did-you-mean for a misspelt keyword, if there is one: the word found where a
/// keyword was expected, or the first word when pest stopped at the second one.
fn did_you_mean_help(
    first: &str,
    at_second_word: bool,
    expected: &[Rule],
    found: &str,
) -> Option<String> {
    let suggest = |keyword: &str| Some(format!("did you mean `{keyword}`?"));
    if found.starts_with('`') {
        let found_word = found.trim_matches('`');
        if let Some(keyword) = did_you_mean(found_word, keywords(expected)) {
            return suggest(keyword);
        }
        let candidates: &[&str] = match expected {
            [Rule::item_probe] => ITEM_KEYWORDS,
            [Rule::service_line_probe] => &["select", "port"],
            _ => &[],
        };
        if let Some(keyword) = did_you_mean(found_word, candidates.iter().copied()) {
            return suggest(keyword);
        }
    }
    // `servce api;` reads as the subject of a need and fails at `api`: the first word
    // is the likelier mistake.
    if at_second_word
        && !ITEM_KEYWORDS.contains(&first)
        && let Some(keyword) = did_you_mean(first, ITEM_KEYWORDS.iter().copied())
        && keyword != first
    {
        return suggest(keyword);
    }
    None
}

/// The first word of a region (a keyword, a name), or "" when it starts otherwise.
fn first_word(region: &str) -> &str {
    let region = region.trim_start();
    let end = region
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
        .unwrap_or(region.len());
    &region[..end]
}

/// Whether the last line of `text` holds a comment (then "just after the last token"
/// would point into the comment).
fn line_has_comment(text: &str) -> bool {
    let line = text.rsplit('\n').next().unwrap_or("");
    line.contains("//") || line.contains('#')
}
