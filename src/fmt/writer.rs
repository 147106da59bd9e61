//! The output of the formatter: tokens written in source order, each with what goes
//! before it (nothing, spaces, a new line of the item, a new item line), and the
//! trivia of the source gap before it (comments, blank lines) placed on the way.
//! Owns the rules of where a comment goes and when a blank line is kept, the column
//! bookkeeping, and the marks that let a construct try one line and fall back to
//! several. Must never decide the layout of a construct (`items`, `values` do).

use pest::iterators::Pair;

use crate::syntax::Rule;
use crate::syntax::trivia::{self, Gap};

/// The widest line the formatter aims for (comments and names may exceed it).
pub(crate) const WIDTH: usize = 100;
/// Spaces per block level.
pub(crate) const INDENT: usize = 2;
/// Extra indentation of the continuation lines of an item that has no column to
/// align them with.
pub(crate) const CONTINUATION: usize = 4;

/// What goes before a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sep {
    /// Nothing (`;`, `,`, the `/` of `std/dns`).
    Glued,
    /// This many spaces (1 between words; more to align).
    Spaces(usize),
    /// A new line at the continuation column of the current item ([`Writer::hang`]).
    Hang,
    /// A new line at the block's indentation: the token starts an item or a body
    /// line. A blank line before it in the source is kept (one at most), except at
    /// the start of a block.
    Line,
    /// A new line one level out, for the `}` that closes the current block: comments
    /// before it stay inside the block, a blank line before it is dropped.
    Close,
}

/// Where the writer is, so a construct can be written again another way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    len: usize,
    state: State,
}

#[derive(Clone, Copy, Debug)]
struct State {
    prev_end: usize,
    col: usize,
    indent: usize,
    hang: usize,
    broken: bool,
    block_start: bool,
    line_of_item: usize,
}

pub(crate) struct Writer<'s> {
    source: &'s str,
    out: String,
    /// Where the output starts (after a byte order mark, which is kept).
    start: usize,
    s: State,
}

impl<'s> Writer<'s> {
    pub fn new(source: &'s str) -> Writer<'s> {
        let mut out = String::with_capacity(source.len() + source.len() / 8);
        let mut prev_end = 0;
        if source.starts_with('\u{FEFF}') {
            out.push('\u{FEFF}');
            prev_end = '\u{FEFF}'.len_utf8();
        }
        let start = out.len();
        Writer {
            source,
            out,
            start,
            s: State {
                prev_end,
                col: 0,
                indent: 0,
                hang: CONTINUATION,
                broken: false,
                block_start: true,
                line_of_item: start,
            },
        }
    }

    /// The current column (0-based, in characters).
    pub fn col(&self) -> usize {
        self.s.col
    }

    /// The block indentation.
    pub fn indent(&self) -> usize {
        self.s.indent
    }

    /// The column continuation lines ([`Sep::Hang`]) start at.
    pub fn hang(&self) -> usize {
        self.s.hang
    }

    /// Set the column continuation lines ([`Sep::Hang`]) start at.
    pub fn set_hang(&mut self, col: usize) {
        self.s.hang = col;
    }

    /// Enter a block (after its `{`).
    pub fn open_block(&mut self) {
        self.s.indent += INDENT;
        self.s.block_start = true;
    }

    /// Write a token as it is in the source.
    pub fn token(&mut self, pair: &Pair<'_, Rule>, sep: Sep) {
        let span = pair.as_span();
        self.put(span.start(), span.end(), pair.as_str(), sep);
    }

    /// Write `text` for the source token `pair` (a token whose spacing is normalised).
    pub fn token_as(&mut self, pair: &Pair<'_, Rule>, text: &str, sep: Sep) {
        let span = pair.as_span();
        self.put(span.start(), span.end(), text, sep);
    }

    /// Drop a source token (a trailing comma), keeping the comments before it.
    pub fn skip(&mut self, pair: &Pair<'_, Rule>) {
        let span = pair.as_span();
        let gap = self.gap_before(span.start());
        let col = self.s.hang;
        self.comments(&gap, col);
        self.s.prev_end = span.end();
    }

    /// Whether the source between the last token and `pos` holds a comment.
    pub fn comment_before(&self, pos: usize) -> bool {
        !self.gap_before(pos).comments.is_empty()
    }

    /// Whether the source between two offsets holds a blank line (not counting what
    /// a comment contains).
    pub fn blank_between(&self, from: usize, to: usize) -> bool {
        let gap = trivia::gap(self.source.get(from..to).unwrap_or(""));
        gap.newlines_after >= 2 || gap.comments.iter().any(|c| c.newlines_before >= 2)
    }

    fn gap_before(&self, pos: usize) -> Gap<'s> {
        trivia::gap(self.source.get(self.s.prev_end..pos).unwrap_or(""))
    }

    fn put(&mut self, start: usize, end: usize, text: &str, sep: Sep) {
        let gap = self.gap_before(start);
        let comment_col = match sep {
            Sep::Line | Sep::Close => self.s.indent,
            _ => self.s.hang,
        };
        self.comments(&gap, comment_col);
        match sep {
            Sep::Line => {
                let blank = !self.s.block_start && gap.newlines_after >= 2;
                self.new_line(blank, self.s.indent);
                self.s.line_of_item = self.out.len() - self.s.indent;
                self.s.hang = self.s.indent + CONTINUATION;
            }
            Sep::Close => {
                self.s.indent = self.s.indent.saturating_sub(INDENT);
                self.new_line(false, self.s.indent);
            }
            Sep::Hang => self.new_line(false, self.s.hang),
            _ if self.s.broken => self.new_line(false, self.s.hang),
            Sep::Spaces(n) => self.pad(n),
            Sep::Glued => {}
        }
        self.write(text);
        self.s.prev_end = end;
        self.s.broken = false;
        self.s.block_start = false;
    }

    /// Place the comments of a gap: one that ends the line of the previous token
    /// stays there; the others go on lines of their own at `col`, with at most one
    /// blank line kept before each.
    fn comments(&mut self, gap: &Gap<'_>, col: usize) {
        for comment in &gap.comments {
            if comment.newlines_before == 0 && self.s.col > 0 {
                self.pad(1);
            } else {
                let blank = comment.newlines_before >= 2 && !self.s.block_start;
                self.new_line(blank, col);
            }
            self.write(comment.text);
            self.s.broken = true;
            self.s.block_start = false;
        }
    }

    /// End the current line (if anything is on it), optionally leave a blank line,
    /// and indent to `col`.
    fn new_line(&mut self, blank: bool, col: usize) {
        if self.out.len() > self.start {
            if self.s.col > 0 {
                self.out.push('\n');
            }
            if blank {
                self.out.push('\n');
            }
        }
        self.s.col = 0;
        self.pad(col);
    }

    fn pad(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
        self.s.col += n;
    }

    fn write(&mut self, text: &str) {
        self.out.push_str(text);
        self.s.col += text.chars().count();
    }

    pub fn mark(&self) -> Mark {
        Mark {
            len: self.out.len(),
            state: self.s,
        }
    }

    pub fn restore(&mut self, mark: Mark) {
        self.out.truncate(mark.len);
        self.s = mark.state;
    }

    /// Whether what was written since `mark` stayed on the line of its item and
    /// within [`WIDTH`] (comments written before the item do not count).
    pub fn fits(&self, mark: Mark) -> bool {
        let from = self.s.line_of_item.max(mark.len);
        let written = self.out.get(from..).unwrap_or("");
        !written.contains('\n') && self.s.col <= WIDTH && !self.s.broken
    }

    /// Write the comments left at the end of the file and return the text, which
    /// ends with one line break (an empty file stays empty).
    pub fn finish(mut self) -> String {
        let gap = self.gap_before(self.source.len());
        self.comments(&gap, 0);
        if self.s.col > 0 {
            self.out.push('\n');
        }
        self.out
    }
}
