//! Trivia: the comments and line breaks between two tokens, which the grammar skips
//! (`WHITESPACE`) and the AST does not keep. This is the lossless half of the syntax
//! layer: every byte of a well-formed file is either inside a pest pair (each token
//! keeps its span and text) or in the gap between two consecutive tokens, and a gap
//! holds only spaces, line breaks and comments. [`gap`] reads one gap; `fmt` walks
//! the pairs and reads the gaps, so `check` and `build` never pay for trivia. Must
//! never decide a layout (that is `fmt`'s) or be called on text that is not a gap.

/// One comment in a gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment<'a> {
    /// `// ...` or `# ...`, trailing spaces and `\r` removed.
    pub text: &'a str,
    /// Line breaks between the previous token (or comment) and this comment: 0 means
    /// it ends the line of the previous token.
    pub newlines_before: usize,
}

/// What a gap between two tokens holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gap<'a> {
    pub comments: Vec<Comment<'a>>,
    /// Line breaks after the last comment (or in the whole gap, when it has none).
    pub newlines_after: usize,
}

impl Gap<'_> {
    /// Whether the gap holds nothing but spaces on one line.
    pub fn is_inline(&self) -> bool {
        self.comments.is_empty() && self.newlines_after == 0
    }
}

/// Read the gap `text` (spaces, tabs, line breaks, comments and, at the start of a
/// file, a byte order mark). Any other character is skipped as if it were a space, so
/// a wrong call cannot loop or panic.
pub fn gap(text: &str) -> Gap<'_> {
    let bytes = text.as_bytes();
    let mut result = Gap::default();
    let mut newlines = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_comment =
            bytes[i] == b'#' || (bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'/'));
        if starts_comment {
            let end = bytes[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n);
            let comment = text.get(i..end).unwrap_or("").trim_end();
            result.comments.push(Comment {
                text: comment,
                newlines_before: newlines,
            });
            newlines = 0;
            i = end;
            continue;
        }
        if bytes[i] == b'\n' {
            newlines += 1;
        }
        i += 1;
    }
    result.newlines_after = newlines;
    result
}

/// Every comment of a whole file, in order, skipping strings as the grammar does.
/// Used to check that formatting kept every comment.
pub fn comments(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' | b'/' if bytes[i] == b'#' || bytes.get(i + 1) == Some(&b'/') => {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |n| i + n);
                found.push(text.get(i..end).unwrap_or("").trim_end());
                i = end;
            }
            b'"' => i = super::prescan::string_end(bytes, i),
            _ => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_counts_breaks_around_comments() {
        let g = gap("  // one\r\n\n  # two\n ");
        assert_eq!(
            g.comments,
            vec![
                Comment {
                    text: "// one",
                    newlines_before: 0
                },
                Comment {
                    text: "# two",
                    newlines_before: 2
                },
            ]
        );
        assert_eq!(g.newlines_after, 1);
        assert!(gap("   ").is_inline());
        assert!(!gap(" \n").is_inline());
    }

    #[test]
    fn comments_skip_strings() {
        assert_eq!(
            comments("use \"a#b//c.netp\"; // x\n# y"),
            vec!["// x", "# y"]
        );
    }
}
