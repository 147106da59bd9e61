//! A pre-scan of YAML or JSON text, linear in its bytes, that refuses flow collections
//! (`[...]`, `{...}`) nested deeper than [`MAX_FLOW_DEPTH`] before serde_yaml sees them:
//! its scanner takes time proportional to tokens times flow depth, so 40,000 nested
//! `[` took seconds before being rejected. Every YAML text netpc reads from disk goes
//! through [`check_flow_depth`] first (docs/limits.md). The scan follows YAML's rules
//! for quoted scalars, plain scalars in flow context, comments, block scalars and
//! document markers, so brackets inside strings do not count; where it cannot tell, it
//! counts (a text it refuses may, rarely, be one YAML would read).

/// The deepest nesting of flow collections read. serde_yaml refuses any document
/// nested deeper than 128 levels anyway.
pub const MAX_FLOW_DEPTH: usize = 100;

/// `Err` (with the line) when a flow collection nests deeper than [`MAX_FLOW_DEPTH`].
pub fn check_flow_depth(text: &str) -> Result<(), String> {
    let mut scan = Scan::default();
    for (number, line) in text.split('\n').enumerate() {
        if scan.line(line.as_bytes()).is_err() {
            return Err(format!(
                "line {}: collections nested deeper than {MAX_FLOW_DEPTH} levels (the limit, docs/limits.md)",
                number + 1
            ));
        }
    }
    Ok(())
}

#[derive(Default)]
struct Scan {
    depth: usize,
    /// Inside a quoted scalar: its quote.
    quote: Option<u8>,
    /// Skip lines indented more than this (and blank ones): a block scalar's content.
    literal: Option<(usize, usize)>,
    /// In flow context: the next token starts here (after `[`, `{`, `,`, `: `). A line
    /// break does not start one: in YAML a node right after another, on the next line,
    /// is an error (or, after a plain scalar, more of the same scalar).
    token_start: bool,
}

struct TooDeep;

fn blank(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\t' | b'\r'))
}

/// Where the tag (`!`) or anchor (`&`) at `line[i]` ends, as libyaml's scanner (serde_yaml's)
/// reads it: an anchor's name is letters, digits, `-` and `_`; a verbatim tag `!<...>` ends
/// after its `>`; any other tag is `!` and the characters of a URI except `,`, `[` and `]`.
/// So `[!t,[...]]` and `[&a,[...]]` are a tagged or anchored empty entry and then a nested
/// collection that counts. What follows a tag or an anchor that YAML refuses (`!t[`) is
/// scanned as usual, so it can only count more.
fn property_end(line: &[u8], i: usize) -> usize {
    let name = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_');
    let rest = &line[i + 1..];
    let length = if line[i] == b'&' {
        rest.iter().take_while(|b| name(b)).count()
    } else if rest.first() == Some(&b'<') {
        rest.iter()
            .position(|&b| b == b'>')
            .map_or(rest.len(), |end| end + 1)
    } else {
        rest.iter()
            .take_while(|&b| name(b) || b";/?:@&=+$.%!~*'()".contains(b))
            .count()
    };
    i + 1 + length
}

impl Scan {
    fn line(&mut self, line: &[u8]) -> Result<(), TooDeep> {
        if (line.starts_with(b"---") || line.starts_with(b"...")) && blank(line.get(3)) {
            *self = Scan::default();
            return self.scan(line, 3, None);
        }
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        if let Some((min, _)) = self.literal {
            if line.iter().all(|&b| blank(Some(&b))) || indent >= min {
                return Ok(());
            }
            self.literal = None;
        }
        self.scan(line, indent, Some(indent))
    }

    /// Scan `line` from `i`; `node` is the column of the current block node, if any.
    fn scan(&mut self, line: &[u8], mut i: usize, mut node: Option<usize>) -> Result<(), TooDeep> {
        let mut value = true; // block context: a node may start here
        while i < line.len() {
            let b = line[i];
            if let Some(q) = self.quote {
                if q == b'"' && b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == q {
                    if q == b'\'' && line.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    self.quote = None;
                    (value, self.token_start) = (false, false);
                }
                i += 1;
                continue;
            }
            let after_blank = i == 0 || blank(line.get(i - 1));
            if b == b'#' && after_blank {
                return Ok(());
            }
            let node_here = if self.depth > 0 {
                self.token_start
            } else {
                value
            };
            if matches!(b, b'!' | b'&') && node_here {
                // A tag or an anchor: the node starts after it.
                i = property_end(line, i);
                continue;
            }
            if self.depth > 0 {
                self.flow_byte(line, i)?;
            } else if !blank(Some(&b)) {
                self.block_byte(line, i, &mut value, &mut node);
            }
            i += 1;
        }
        Ok(())
    }

    fn open(&mut self) -> Result<(), TooDeep> {
        self.depth += 1;
        self.token_start = true;
        if self.depth > MAX_FLOW_DEPTH {
            return Err(TooDeep);
        }
        Ok(())
    }

    /// One byte in flow context (outside quotes and comments).
    fn flow_byte(&mut self, line: &[u8], i: usize) -> Result<(), TooDeep> {
        let next = line.get(i + 1);
        match line[i] {
            b'[' | b'{' => return self.open(),
            b']' | b'}' => {
                self.depth -= 1;
                self.token_start = false;
            }
            b',' => self.token_start = true,
            b':' if blank(next) || matches!(next, Some(b',' | b'[' | b']' | b'{' | b'}')) => {
                self.token_start = true;
            }
            b' ' | b'\t' | b'\r' => {}
            b'\'' | b'"' if self.token_start => {
                self.quote = Some(line[i]);
                self.token_start = false;
            }
            // `? ` and `- ` are indicators; followed by text they begin a plain scalar.
            b'?' | b'-' if self.token_start && blank(next) => {}
            // Anything else is (inside) a plain scalar: no node starts until `,` or `: `.
            _ => self.token_start = false,
        }
        Ok(())
    }

    /// One non-blank byte in block context (outside quotes and comments).
    fn block_byte(&mut self, line: &[u8], i: usize, value: &mut bool, node: &mut Option<usize>) {
        let next = line.get(i + 1);
        match line[i] {
            b'-' | b'?' if *value && blank(next) => *node = Some(i),
            b':' if blank(next) => *value = true,
            b'[' | b'{' if *value => {
                self.depth = 1;
                self.token_start = true;
            }
            b'\'' | b'"' if *value => {
                self.quote = Some(line[i]);
                *value = false;
            }
            b'|' | b'>' if *value => {
                // Content is indented more than the node holding it (or by the digit).
                let parent = node.unwrap_or(0);
                let digit = next
                    .filter(|d| d.is_ascii_digit())
                    .map(|d| usize::from(d - b'0'));
                let min = match (digit, *node) {
                    (Some(d), Some(p)) => p + d,
                    (Some(d), None) => d,
                    (None, Some(p)) => p + 1,
                    (None, None) => 0,
                };
                self.literal = Some((min, parent));
                *value = false;
            }
            _ if *value => {
                // A plain scalar (a key or a value) starts here.
                if !line[..i].ends_with(b": ") && !line[..i].ends_with(b":\t") {
                    *node = Some(i);
                }
                *value = false;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod depth_case_tests;
#[cfg(test)]
mod depth_random_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(open: &str, close: &str, levels: usize) -> String {
        format!("a: {}{}\n", open.repeat(levels), close.repeat(levels))
    }

    #[test]
    fn refuses_deep_flow_collections() {
        assert!(check_flow_depth(&deep("[", "]", MAX_FLOW_DEPTH)).is_ok());
        assert!(check_flow_depth(&deep("[", "]", MAX_FLOW_DEPTH + 1)).is_err());
        assert!(check_flow_depth(&deep("{a: ", "}", MAX_FLOW_DEPTH + 1)).is_err());
        let json = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(check_flow_depth(&json).is_err());
    }

    /// A document marker (`---` or `...`) starts the count again: a collection left
    /// open in one document does not deepen the next.
    #[test]
    fn a_document_marker_starts_the_count_again() {
        let next = deep("[", "]", MAX_FLOW_DEPTH);
        for marker in ["---", "...", "--- # next"] {
            let text = format!("a: [1,\n{marker}\n{next}");
            assert!(check_flow_depth(&text).is_ok(), "{text}");
        }
        assert!(check_flow_depth(&format!("a: [1,\n{next}")).is_err());
    }

    #[test]
    fn brackets_in_strings_comments_and_block_scalars_do_not_count() {
        let many = "[".repeat(300);
        let texts = [
            format!("a: \"{many}\"\nb: '{many}'\n"),
            format!("a: [\"{many}\", '{many}']\n"),
            format!("a: 1 # {many}\n"),
            format!("a: |\n  {many}\n  x\nb: [1]\n"),
            format!("- key: >2\n    {many}\n- [1, 2]\n"),
            format!("a: plain {many}\n"),
            format!("a: [x {many}\n"),
            format!("a: \"one\n  {many}\"\n"),
            format!("a: !tag |\n  {many}\nb: [!t '{many}', &x \"{many}\"]\n"),
        ];
        for text in &texts[..6] {
            assert!(check_flow_depth(text).is_ok(), "{text}");
        }
        // `[` ends a plain scalar in flow context: these are real collections.
        assert!(check_flow_depth(&texts[6]).is_err());
        assert!(check_flow_depth(&texts[7]).is_ok());
        assert!(check_flow_depth(&texts[8]).is_ok());
    }

    #[test]
    fn strings_cannot_hide_real_nesting() {
        let hidden = [
            format!("a: ['x]]]]', {}]\n", "[".repeat(150)),
            format!("a: |\n  '\nb: {}\n", "[".repeat(150)),
            format!("a: [\"x\n]]]]]\", {}\n", "[".repeat(150)),
            format!("a: [b 'c, {}\n", "[".repeat(150)),
            // `-` followed by text begins a plain scalar, so the quote is text.
            format!("a: [-'c, {}\n", "[".repeat(150)),
            // `''` is a quote inside a single-quoted scalar, which ends after `s`.
            format!("a: ['it''s', {}\n", "[".repeat(150)),
        ];
        for text in &hidden {
            assert!(check_flow_depth(text).is_err(), "{text}");
        }
    }
}
