//! The YAML writer of every emitted file: a serde `Serializer` for block-style YAML in
//! the layout kubectl users know (two-space indent, sequences under a key not indented,
//! `{}` and `[]` for empty collections), keys in the order the value serializes them.
//! It owns quoting: a string is written plain only when its characters are plain-safe
//! and `yaml11::plain_is_string` holds, so YAML 1.1 readers (kubectl, kustomize, PyYAML)
//! and YAML 1.2 readers (serde_yaml) all read back the same string; otherwise it is
//! single-quoted, or double-quoted with escapes when it holds a non-printable character.
//! Numbers and booleans are written plain. Floats, bytes and enum variants with data
//! are not part of netpc's output and are refused.

use std::fmt::Write as _;

use serde::ser::{self, Serialize};

use super::yaml11;

/// A value the writer does not support (a bug in netpc, never bad input).
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

/// `value` as one YAML document (no `---`), ending in a newline.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut out = String::with_capacity(512);
    write(value, &mut out)?;
    Ok(out)
}

/// Append `value` as one YAML document (no `---`) to `out`.
pub fn write<T: Serialize + ?Sized>(value: &T, out: &mut String) -> Result {
    value.serialize(Writer {
        out,
        at: Position::Root,
    })
}

/// Write `s` as a scalar: plain, single-quoted or double-quoted.
pub fn scalar(s: &str, out: &mut String) {
    if plain_safe(s) && yaml11::plain_is_string(s) {
        out.push_str(s);
    } else if s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        double_quoted(s, out);
    }
}

/// Characters that never make a plain scalar end early or mean something else: ASCII
/// letters, digits and `-._/:`, not starting with `-` and not ending with `:`.
fn plain_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/' | b':'))
        && !s.starts_with('-')
        && !s.ends_with(':')
}

fn double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
}

/// Where the next value goes.
#[derive(Clone, Copy)]
enum Position {
    /// The document itself, at column 0.
    Root,
    /// After `key:` of a mapping entry at column `.0`.
    AfterKey(usize),
    /// After `- ` of a sequence item at column `.0`.
    AfterDash(usize),
}

struct Writer<'o> {
    out: &'o mut String,
    at: Position,
}

impl<'o> Writer<'o> {
    fn plain(self, text: &str) -> Result {
        if let Position::AfterKey(_) = self.at {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    fn string(self, s: &str) -> Result {
        if let Position::AfterKey(_) = self.at {
            self.out.push(' ');
        }
        scalar(s, self.out);
        self.out.push('\n');
        Ok(())
    }

    fn compound(self, kind: Kind) -> Compound<'o> {
        let (column, inline) = match (self.at, kind) {
            (Position::Root, _) => (0, true),
            // A sequence under a key is not indented; a mapping is, by two.
            (Position::AfterKey(column), Kind::Seq) => (column, false),
            (Position::AfterKey(column), Kind::Map) => (column + 2, false),
            // Inside an item, the first entry or item continues the `- ` line.
            (Position::AfterDash(column), _) => (column + 2, true),
        };
        Compound {
            out: self.out,
            at: self.at,
            kind,
            column,
            inline,
            started: false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// A mapping or sequence being written. Nothing is written until its first entry (or
/// its end, as `{}` or `[]`), because an empty one is written on its parent's line.
struct Compound<'o> {
    out: &'o mut String,
    at: Position,
    kind: Kind,
    /// The column of its entries or items.
    column: usize,
    /// Whether the first entry continues the current line (after `- `, or at the root).
    inline: bool,
    started: bool,
}

impl Compound<'_> {
    /// Start a new entry or item line.
    fn line(&mut self) {
        if !self.started {
            self.started = true;
            if let Position::AfterKey(_) = self.at {
                self.out.push('\n');
            }
            if self.inline {
                return;
            }
        }
        for _ in 0..self.column {
            self.out.push(' ');
        }
    }

    fn key(&mut self, key: &str) {
        self.line();
        scalar(key, self.out);
        self.out.push(':');
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Writer {
            out: self.out,
            at: Position::AfterKey(self.column),
        })
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.line();
        self.out.push_str("- ");
        value.serialize(Writer {
            out: self.out,
            at: Position::AfterDash(self.column),
        })
    }

    fn finish(self) -> Result {
        if !self.started {
            if let Position::AfterKey(_) = self.at {
                self.out.push(' ');
            }
            self.out.push_str(match self.kind {
                Kind::Map => "{}\n",
                Kind::Seq => "[]\n",
            });
        }
        Ok(())
    }
}

fn unsupported(what: &str) -> Error {
    Error(format!("the YAML writer does not support {what}"))
}

mod serialize;
