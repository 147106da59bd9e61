//! The layout inside items: comma lists (one line, or one element per line aligned
//! on the first), targets and their port sets, label pairs, port specs, and the
//! items that are only words. One function per value rule of the grammar. Must
//! never reorder or drop a token other than a trailing comma in a port set.

use pest::iterators::Pair;

use super::writer::{Sep, Writer};
use crate::syntax::Rule;

/// Write a construct on one line if it fits and holds no comment, else broken:
/// `f(w, broken)` writes it either way.
pub(crate) fn flat_or_broken(w: &mut Writer<'_>, f: impl Fn(&mut Writer<'_>, bool)) {
    let mark = w.mark();
    f(w, false);
    if w.fits(mark) {
        return;
    }
    w.restore(mark);
    f(w, true);
}

/// A comma list up to and including the `;` that may end it: `a, b, c`, or broken,
/// every element after the first on its own line at the hang column.
pub(crate) fn list<'i>(
    w: &mut Writer<'_>,
    parts: impl Iterator<Item = Pair<'i, Rule>>,
    broken: bool,
) {
    let mut first = true;
    for part in parts {
        let sep = match part.as_rule() {
            Rule::comma | Rule::semi => Sep::Glued,
            _ if first => Sep::Spaces(1),
            _ if broken => Sep::Hang,
            _ => Sep::Spaces(1),
        };
        if !matches!(part.as_rule(), Rule::comma | Rule::semi) {
            first = false;
        }
        element(w, part, sep);
    }
}

/// One element of a list, or a token.
fn element(w: &mut Writer<'_>, pair: Pair<'_, Rule>, sep: Sep) {
    match pair.as_rule() {
        Rule::label_pair => fmt_label_pair(w, pair, sep),
        Rule::label_in | Rule::label_notin | Rule::label_absent | Rule::label_exists => {
            fmt_requirement(w, pair, sep);
        }
        Rule::target => fmt_target(w, pair, sep),
        _ => tokens(w, pair, sep),
    }
}

/// A token, with the spacing inside a port spec normalised (`metrics  9100` is
/// written `metrics 9100`).
pub(crate) fn tokens(w: &mut Writer<'_>, pair: Pair<'_, Rule>, sep: Sep) {
    if pair.as_rule() == Rule::port_spec {
        let text: Vec<&str> = pair.as_str().split_whitespace().collect();
        w.token_as(&pair, &text.join(" "), sep);
    } else {
        w.token(&pair, sep);
    }
}

/// `key = value`
fn fmt_label_pair(w: &mut Writer<'_>, pair: Pair<'_, Rule>, sep: Sep) {
    let mut first = true;
    for part in pair.into_inner() {
        w.token(&part, if first { sep } else { Sep::Spaces(1) });
        first = false;
    }
}

/// `key in (a, b)`, `key notin (a)`, `!key`, `key`: one space around `in`/`notin`,
/// values after `, `, `!` and the parentheses glued.
fn fmt_requirement(w: &mut Writer<'_>, pair: Pair<'_, Rule>, sep: Sep) {
    let mut next = sep;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::bang => {
                w.token(&part, next);
                next = Sep::Glued;
            }
            Rule::label_values => {
                for value in part.into_inner() {
                    let s = match value.as_rule() {
                        Rule::lparen => Sep::Spaces(1),
                        Rule::comma | Rule::rparen => Sep::Glued,
                        _ if next == Sep::Glued => Sep::Glued,
                        _ => Sep::Spaces(1),
                    };
                    next = if value.as_rule() == Rule::lparen {
                        Sep::Glued
                    } else {
                        Sep::Spaces(1)
                    };
                    w.token(&value, s);
                }
            }
            _ => {
                w.token(&part, next);
                next = Sep::Spaces(1);
            }
        }
    }
}

/// `target = ${ reference ~ (colon ~ port_set)? }`: `db`, `db:5432`,
/// `db:{5432, metrics}` (a trailing comma in the braces is dropped).
pub(crate) fn fmt_target(w: &mut Writer<'_>, pair: Pair<'_, Rule>, sep: Sep) {
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::reference => w.token(&part, sep),
            Rule::port_set => fmt_port_set(w, part),
            _ => w.token(&part, Sep::Glued),
        }
    }
}

/// `port_set = !{ lbrace ~ port_spec ~ (comma ~ port_spec)* ~ comma? ~ rbrace | port_spec }`:
/// a comment inside the braces moves the next port under the first.
fn fmt_port_set(w: &mut Writer<'_>, pair: Pair<'_, Rule>) {
    let parts: Vec<_> = pair.into_inner().collect();
    let hang = w.hang();
    for (n, part) in parts.iter().enumerate() {
        let next = parts.get(n + 1).map(Pair::as_rule);
        match part.as_rule() {
            Rule::comma if next == Some(Rule::rbrace) => w.skip(part),
            Rule::lbrace => {
                w.token(part, Sep::Glued);
                w.set_hang(w.col());
            }
            Rule::port_spec if n > 0 && parts[n - 1].as_rule() == Rule::comma => {
                tokens(w, part.clone(), Sep::Spaces(1));
            }
            _ => tokens(w, part.clone(), Sep::Glued),
        }
    }
    w.set_hang(hang);
}

/// Whether a pair is written as one token (its inner pairs hold no space).
fn is_leaf(pair: &Pair<'_, Rule>) -> bool {
    matches!(
        pair.as_rule(),
        Rule::string | Rule::reference | Rule::label_value | Rule::port_spec
    ) || pair.clone().into_inner().next().is_none()
}

/// An item of words on one line (`use std/dns;`, `exempt label k = v;`, `export a to
/// *;`, `enforcement egress off;`, ...): one space between words, none before `;`
/// and `,` nor around the `/` of `std/NAME`.
pub(crate) fn simple(w: &mut Writer<'_>, pair: Pair<'_, Rule>, first_sep: Sep) {
    let mut leaves = Vec::new();
    collect_leaves(pair, &mut leaves);
    let mut after_slash = false;
    for (n, leaf) in leaves.iter().enumerate() {
        let rule = leaf.as_rule();
        let sep = if n == 0 {
            first_sep
        } else if matches!(rule, Rule::semi | Rule::comma | Rule::slash) || after_slash {
            Sep::Glued
        } else {
            Sep::Spaces(1)
        };
        after_slash = rule == Rule::slash;
        tokens(w, leaf.clone(), sep);
    }
}

fn collect_leaves<'i>(pair: Pair<'i, Rule>, leaves: &mut Vec<Pair<'i, Rule>>) {
    if is_leaf(&pair) {
        leaves.push(pair);
    } else {
        for inner in pair.into_inner() {
            collect_leaves(inner, leaves);
        }
    }
}
