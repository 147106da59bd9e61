//! The layout of items and blocks: one `fmt_<rule>` function per item rule of the
//! grammar (as `syntax::ast_build` has one `build_<rule>`), plus the alignment of runs
//! of one-line services. A new construct gets its own function and a line in
//! [`fmt_item`]. Must never reorder, add or drop a token other than a trailing comma:
//! the formatter changes only the space between tokens.

use pest::iterators::Pair;

use super::lists::{flat_or_broken, list, simple, tokens};
use super::writer::{Sep, Writer};
use crate::syntax::Rule;

/// `file = { SOI ~ byte_order_mark? ~ (item | stray_close)* ~ EOI }`
pub(crate) fn fmt_file(w: &mut Writer<'_>, pair: Pair<'_, Rule>) {
    let items: Vec<_> = pair
        .into_inner()
        .filter(|p| p.as_rule() != Rule::EOI)
        .collect();
    fmt_items(w, &items);
}

/// The items of a file or block, with runs of one-line services (and of one-line
/// needs) aligned.
fn fmt_items(w: &mut Writer<'_>, items: &[Pair<'_, Rule>]) {
    let mut i = 0;
    while i < items.len() {
        let run = aligned_run(w, &items[i..]);
        if run.len() < 2 {
            fmt_item(w, items[i].clone(), None);
            i += 1;
            continue;
        }
        let width = run.iter().copied().max().unwrap_or(0);
        for (item, name) in items[i..].iter().zip(&run) {
            fmt_item(w, item.clone(), Some(width - name + 1));
        }
        i += run.len();
    }
}

/// The widths to align (a service's name, a need's subjects) of the items at the
/// start of `items` that are of the same kind, fit on one line and follow each other
/// without a blank line (comment lines between them are fine).
fn aligned_run(w: &mut Writer<'_>, items: &[Pair<'_, Rule>]) -> Vec<usize> {
    let mut run = Vec::new();
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            let before = &items[n - 1];
            if before.as_rule() != item.as_rule()
                || w.blank_between(before.as_span().end(), item.as_span().start())
            {
                break;
            }
        }
        let width = match item.as_rule() {
            Rule::service_item => one_line_service(w, item),
            Rule::needs_item => one_line_needs(w, item),
            _ => None,
        };
        match width {
            Some(width) => run.push(width),
            None => break,
        }
    }
    run
}

/// Subjects wider than this are not aligned with the needs around them.
const ALIGN_SUBJECTS: usize = 32;

/// The width of the subjects of a need that fits on one line.
fn one_line_needs(w: &mut Writer<'_>, item: &Pair<'_, Rule>) -> Option<usize> {
    let subjects: Vec<_> = item
        .clone()
        .into_inner()
        .take_while(|p| p.as_rule() != Rule::kw_needs)
        .filter(|p| p.as_rule() == Rule::reference)
        .collect();
    let width = subjects
        .iter()
        .map(|p| p.as_str().chars().count() + 2)
        .sum::<usize>()
        - 2;
    if width > ALIGN_SUBJECTS {
        return None;
    }
    let mark = w.mark();
    fmt_needs_item(w, item.clone(), 1);
    let fits = w.fits(mark);
    w.restore(mark);
    fits.then_some(width)
}

/// The name length of a service with a one-line body that fits on one line.
fn one_line_service(w: &mut Writer<'_>, item: &Pair<'_, Rule>) -> Option<usize> {
    let name = item.clone().into_inner().nth(1)?.as_str().chars().count();
    let body = item.clone().into_inner().nth(2)?;
    let lines = body
        .into_inner()
        .filter(|p| is_body_line(p.as_rule()))
        .count();
    if lines != 1 {
        return None;
    }
    let mark = w.mark();
    let fits = fmt_service_item(w, item.clone(), Layout::OneLine(1)) && w.fits(mark);
    w.restore(mark);
    fits.then_some(name)
}

fn is_body_line(rule: Rule) -> bool {
    matches!(rule, Rule::select_line | Rule::port_line)
}

/// One item. `pad`: the spaces after a service's name or a need's subjects in an
/// aligned run.
pub(crate) fn fmt_item(w: &mut Writer<'_>, pair: Pair<'_, Rule>, pad: Option<usize>) {
    match pair.as_rule() {
        Rule::namespace_item => fmt_namespace_item(w, pair),
        Rule::external_namespace_item | Rule::namespace_set_item => fmt_namespace_item(w, pair),
        Rule::set_select => fmt_body_line(w, pair, Sep::Line),
        Rule::service_item => {
            let layout = pad.map_or(Layout::Auto, Layout::OneLine);
            fmt_service_item(w, pair, layout);
        }
        Rule::group_item => fmt_group_item(w, pair),
        Rule::external_item => fmt_external_item(w, pair),
        Rule::needs_item => fmt_needs_item(w, pair, pad.unwrap_or(1)),
        // The rest have no list worth breaking: words on one line.
        _ => simple(w, pair, Sep::Line),
    }
}

/// `namespace N;`, `namespace N { ... }`, `external namespace N { ... }`
fn fmt_namespace_item(w: &mut Writer<'_>, pair: Pair<'_, Rule>) {
    let mut first = true;
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::namespace_body | Rule::set_body => fmt_namespace_body(w, part),
            Rule::semi => w.token(&part, Sep::Glued),
            _ if first => w.token(&part, Sep::Line),
            _ => w.token(&part, Sep::Spaces(1)),
        }
        first = false;
    }
}

/// `{ item* }` (a namespace set's `select` line is one of them): items one per line, indented; `{}` when empty.
fn fmt_namespace_body(w: &mut Writer<'_>, pair: Pair<'_, Rule>) {
    let mut parts: Vec<_> = pair.into_inner().collect();
    let Some(close) = parts.pop() else { return };
    let Some(open) = parts.first().cloned() else {
        return;
    };
    w.token(&open, Sep::Spaces(1));
    fmt_close(w, &close, |w| fmt_items(w, &parts[1..]), parts.len() > 1);
}

/// The inside of a block and its `}`: on lines of their own, or `{}` for a block
/// with nothing, not even a comment, inside.
fn fmt_close(
    w: &mut Writer<'_>,
    close: &Pair<'_, Rule>,
    inside: impl FnOnce(&mut Writer<'_>),
    has_items: bool,
) {
    if !has_items && !w.comment_before(close.as_span().start()) {
        w.token(close, Sep::Glued);
        return;
    }
    w.open_block();
    inside(w);
    w.token(close, Sep::Close);
}

/// How a service is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// On one line if its body has one line and it fits, else expanded.
    Auto,
    /// On one line with this many spaces after the name (an aligned run).
    OneLine(usize),
}

/// `service S;` or `service S { select ...; port ...; }`. Returns whether the body
/// was written on the line of the service.
fn fmt_service_item(w: &mut Writer<'_>, pair: Pair<'_, Rule>, layout: Layout) -> bool {
    let mut parts = pair.into_inner();
    let (Some(keyword), Some(name), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    w.token(&keyword, Sep::Line);
    w.token(&name, Sep::Spaces(1));
    if rest.as_rule() == Rule::semi {
        w.token(&rest, Sep::Glued);
        return false;
    }
    match layout {
        Layout::OneLine(pad) => fmt_service_body(w, rest, pad, false),
        Layout::Auto => {
            let mark = w.mark();
            if fmt_service_body(w, rest.clone(), 1, false) && w.fits(mark) {
                return true;
            }
            w.restore(mark);
            fmt_service_body(w, rest, 1, true)
        }
    }
}

/// `{ (select_line | port_line)* }`: on the line of the service when it has one
/// line and `expanded` is false (returns true), else one line each (returns false).
fn fmt_service_body(w: &mut Writer<'_>, pair: Pair<'_, Rule>, pad: usize, expanded: bool) -> bool {
    let mut parts: Vec<_> = pair.into_inner().collect();
    let Some(close) = parts.pop() else {
        return false;
    };
    let Some(open) = parts.first().cloned() else {
        return false;
    };
    let lines = &parts[1..];
    w.token(&open, Sep::Spaces(pad));
    if !expanded && lines.len() == 1 {
        fmt_body_line(w, lines[0].clone(), Sep::Spaces(1));
        w.token(&close, Sep::Spaces(1));
        return true;
    }
    let inside = |w: &mut Writer<'_>| {
        for line in lines {
            fmt_body_line(w, line.clone(), Sep::Line);
        }
    };
    fmt_close(w, &close, inside, !lines.is_empty());
    false
}

/// `select k = v, ...;` or `port P, ...;`: the list aligned after the keyword when
/// it does not fit on one line.
fn fmt_body_line(w: &mut Writer<'_>, pair: Pair<'_, Rule>, sep: Sep) {
    flat_or_broken(w, |w, broken| {
        let mut parts = pair.clone().into_inner();
        let Some(keyword) = parts.next() else { return };
        w.token(&keyword, sep);
        w.set_hang(w.col() + 1);
        list(w, parts, broken);
    });
}

/// `group G = R1, R2;`
fn fmt_group_item(w: &mut Writer<'_>, pair: Pair<'_, Rule>) {
    flat_or_broken(w, |w, broken| {
        let mut parts = pair.clone().into_inner();
        let (Some(keyword), Some(name), Some(equals)) = (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        w.token(&keyword, Sep::Line);
        w.token(&name, Sep::Spaces(1));
        w.token(&equals, Sep::Spaces(1));
        w.set_hang(w.col() + 1);
        list(w, parts, broken);
    });
}

/// `external E = CIDR, ... [except CIDR, ...];`: broken, each address on its line
/// after `=`, and `except` on a line of its own with its addresses after it.
fn fmt_external_item(w: &mut Writer<'_>, pair: Pair<'_, Rule>) {
    flat_or_broken(w, |w, broken| {
        let mut hang = 0;
        for part in pair.clone().into_inner() {
            match part.as_rule() {
                Rule::kw_external => w.token(&part, Sep::Line),
                Rule::semi => w.token(&part, Sep::Glued),
                Rule::cidr_list => {
                    hang = w.col() + 1;
                    w.set_hang(hang);
                    list(w, part.into_inner(), broken);
                }
                Rule::except_clause => {
                    w.set_hang(hang);
                    let sep = if broken { Sep::Hang } else { Sep::Spaces(1) };
                    let mut inner = part.into_inner();
                    let (Some(keyword), Some(cidrs)) = (inner.next(), inner.next()) else {
                        continue;
                    };
                    w.token(&keyword, sep);
                    w.set_hang(w.col() + 1);
                    list(w, cidrs.into_inner(), broken);
                }
                _ => w.token(&part, Sep::Spaces(1)),
            }
        }
    });
}

/// The column past which `needs` targets are not aligned after `needs` but start on
/// the next line.
const ALIGN_LIMIT: usize = 48;

/// `A, B needs T, U:PORTS;`: on one line, or one target per line aligned after
/// `needs` (on the next lines, indented, when `needs` ends far to the right). `pad`:
/// the spaces before `needs` (more than one in an aligned run).
fn fmt_needs_item(w: &mut Writer<'_>, pair: Pair<'_, Rule>, pad: usize) {
    flat_or_broken(w, |w, broken| {
        let mut first = true;
        let mut after_needs = false;
        for part in pair.clone().into_inner() {
            let sep = match part.as_rule() {
                Rule::comma | Rule::semi => Sep::Glued,
                _ if first => Sep::Line,
                _ if after_needs && broken && w.col() + 1 > ALIGN_LIMIT => {
                    w.set_hang(w.indent() + super::writer::CONTINUATION);
                    Sep::Hang
                }
                _ if after_needs && broken => {
                    w.set_hang(w.col() + 1);
                    Sep::Spaces(1)
                }
                Rule::target if broken => Sep::Hang,
                Rule::kw_needs => Sep::Spaces(pad),
                _ => Sep::Spaces(1),
            };
            after_needs = part.as_rule() == Rule::kw_needs;
            first = false;
            match part.as_rule() {
                Rule::target => super::lists::fmt_target(w, part, sep),
                _ => tokens(w, part, sep),
            }
        }
    });
}
