//! Where things are in a manifest document: a small, linear scan of the text that maps
//! key paths (`spec/template/metadata/labels`, `items/3/metadata/name`) to the byte
//! ranges of the key and of its value, so findings can point at a line and column.
//! serde_yaml gives values but no positions; this scan gives positions but no values,
//! and the two are joined by path. It understands block mappings and sequences (with
//! `- ` items, comments, block scalars skipped) and flow collections, which covers
//! JSON too. It never fails: a path it cannot find is simply absent, and callers fall
//! back to a wider span (the document start). It never recurses, so no input can
//! overflow the stack, and it looks at each byte a bounded number of times.

use rustc_hash::FxHashMap;

/// The separator of path segments (a byte no key of a manifest contains in practice).
pub const SEP: char = '\u{1f}';

/// The byte ranges (relative to the scanned text) of one key and its value. For a key
/// whose value is a nested block, `value` is the key itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub key: std::ops::Range<usize>,
    pub value: std::ops::Range<usize>,
}

/// Every key path of one document and where it is; the first occurrence wins.
#[derive(Debug, Default)]
pub struct Positions {
    paths: FxHashMap<String, Located>,
}

impl Positions {
    /// The position of `path` (segments joined by [`SEP`]).
    pub fn get(&self, path: &str) -> Option<&Located> {
        self.paths.get(path)
    }

    fn record(&mut self, path: String, located: Located) {
        self.paths.entry(path).or_insert(located);
    }
}

/// `a`, `b`, `3` joined as one path.
pub fn path(segments: &[&str]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.push_str(s);
    }
    out
}

fn join(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_owned()
    } else {
        format!("{prefix}{SEP}{segment}")
    }
}

/// One open block collection: its indentation, its path, and how many `- ` items it
/// has had (for sequences).
struct Open {
    indent: usize,
    path: String,
    is_item: bool,
    items: usize,
}

/// Scan one document.
pub fn scan(text: &str) -> Positions {
    let mut positions = Positions::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut offset = 0;
    // Lines more indented than this belong to a block scalar and are skipped.
    let mut scalar_above: Option<usize> = None;
    let mut resume = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start < resume {
            continue; // consumed by a multi-line flow collection
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if body[indent..].is_empty() || body[indent..].starts_with('#') {
            continue;
        }
        if let Some(limit) = scalar_above {
            if indent > limit {
                continue;
            }
            scalar_above = None;
        }
        // `- ` items, possibly several on one line (`- - a`).
        let at = items(body, indent, &mut stack);
        let rest = &body[at..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if rest.starts_with('{') || rest.starts_with('[') {
            let prefix = stack.last().map(|o| o.path.clone()).unwrap_or_default();
            resume = flow(text, start + at, &prefix, &mut positions);
            continue;
        }
        let Some((key, key_range, after)) = block_key(rest) else {
            continue; // a plain scalar item
        };
        while stack.last().is_some_and(|o| o.indent >= at) {
            stack.pop();
        }
        let key_path = join(
            &stack.last().map(|o| o.path.clone()).unwrap_or_default(),
            &key,
        );
        let key_abs = start + at + key_range.start..start + at + key_range.end;
        let value = &rest[after..];
        let value_start = start + at + after + (value.len() - value.trim_start().len());
        let value_trimmed = strip_comment(value).trim();
        let nested = Located {
            key: key_abs.clone(),
            value: key_abs.clone(),
        };
        if value_trimmed.is_empty() {
            positions.record(key_path.clone(), nested);
            stack.push(Open {
                indent: at,
                path: key_path,
                is_item: false,
                items: 0,
            });
        } else if value_trimmed.starts_with('{') || value_trimmed.starts_with('[') {
            positions.record(key_path.clone(), nested);
            resume = flow(text, value_start, &key_path, &mut positions);
        } else {
            if value_trimmed.starts_with('|') || value_trimmed.starts_with('>') {
                scalar_above = Some(at);
            }
            let value = value_start..value_start + value_trimmed.len();
            positions.record(
                key_path,
                Located {
                    key: key_abs,
                    value,
                },
            );
        }
    }
    positions
}

/// Open the `- ` items at the start of `body` (from `indent`); returns where the
/// content after them starts.
fn items(body: &str, indent: usize, stack: &mut Vec<Open>) -> usize {
    let mut at = indent;
    loop {
        let rest = &body[at..];
        if !(rest == "-" || rest.starts_with("- ")) {
            return at;
        }
        while stack
            .last()
            .is_some_and(|o| o.indent > at || (o.indent == at && o.is_item))
        {
            stack.pop();
        }
        let (prefix, index) = match stack.last_mut() {
            Some(p) => {
                p.items += 1;
                (p.path.clone(), p.items - 1)
            }
            None => (String::new(), 0),
        };
        stack.push(Open {
            indent: at,
            path: join(&prefix, &index.to_string()),
            is_item: true,
            items: 0,
        });
        at += 1;
        at += body[at..].len() - body[at..].trim_start_matches(' ').len();
    }
}

/// The key at the start of `rest` (quoted or plain), its range in `rest`, and where
/// its value starts (after the `:`). `None` when the line is not `key: ...`.
fn block_key(rest: &str) -> Option<(String, std::ops::Range<usize>, usize)> {
    let bytes = rest.as_bytes();
    if let Some(&quote) = bytes.first().filter(|b| **b == b'"' || **b == b'\'') {
        let end = quoted_end(rest, 0, quote)?;
        let after = rest[end..].trim_start_matches(' ');
        if !after.starts_with(':') {
            return None;
        }
        let colon = rest.len() - after.len();
        return Some((unquote(&rest[..end]), 0..end, colon + 1));
    }
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            let key = rest[..i].trim_end();
            return Some((key.to_owned(), 0..key.len(), i + 1));
        }
        if bytes[i] == b' ' && bytes.get(i + 1) == Some(&b'#') {
            return None;
        }
        i += 1;
    }
    None
}

/// The end (exclusive) of the quoted string starting at `start` in `text`.
fn quoted_end(text: &str, start: usize, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b if b == quote => {
                if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Some(i + 1);
            }
            _ => i += 1,
        }
    }
    None
}

/// A quoted key's text (escapes kept simple: keys of manifests rarely have any).
fn unquote(quoted: &str) -> String {
    let inner = &quoted[1..quoted.len().saturating_sub(1).max(1)];
    inner.replace("\\\"", "\"").replace("''", "'")
}

/// `value  # comment` without the comment (quotes respected roughly: a `#` preceded
/// by a space outside quotes starts a comment).
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    let mut quote: Option<u8> = None;
    for i in 0..bytes.len() {
        match (quote, bytes[i]) {
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (Some(q), b) if b == q => quote = None,
            (None, b'#') if i == 0 || bytes[i - 1] == b' ' => return &value[..i],
            _ => {}
        }
    }
    value
}

/// One open flow collection.
enum Flow {
    Map {
        path: String,
        key: Option<(String, std::ops::Range<usize>)>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

/// Scan the flow collection starting at `start` (a `{` or `[`) with path `prefix`;
/// returns the offset just past its end (or the end of the text).
fn flow(text: &str, start: usize, prefix: &str, positions: &mut Positions) -> usize {
    let bytes = text.as_bytes();
    let mut stack: Vec<Flow> = Vec::new();
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'{' | b'[' => {
                let path = match stack.last_mut() {
                    None => prefix.to_owned(),
                    Some(Flow::Map { path, key }) => match key.take() {
                        Some((k, range)) => {
                            let p = join(path, &k);
                            positions.record(
                                p.clone(),
                                Located {
                                    key: range.clone(),
                                    value: range,
                                },
                            );
                            p
                        }
                        None => join(path, ""),
                    },
                    Some(Flow::Seq { path, index }) => join(path, &index.to_string()),
                };
                stack.push(if b == b'{' {
                    Flow::Map { path, key: None }
                } else {
                    Flow::Seq { path, index: 0 }
                });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
                if stack.is_empty() {
                    return i;
                }
            }
            b',' => {
                if let Some(Flow::Seq { index, .. }) = stack.last_mut() {
                    *index += 1;
                }
                if let Some(Flow::Map { key, .. }) = stack.last_mut() {
                    *key = None;
                }
                i += 1;
            }
            b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b if b.is_ascii_whitespace() || b == b':' => i += 1,
            _ => {
                let end = scalar_end(text, i);
                scalar(text, i..end, &mut stack, positions);
                i = end.max(i + 1);
            }
        }
    }
    bytes.len()
}

/// The end of the scalar starting at `i` inside a flow collection.
fn scalar_end(text: &str, i: usize) -> usize {
    let bytes = text.as_bytes();
    if bytes[i] == b'"' || bytes[i] == b'\'' {
        return quoted_end(text, i, bytes[i]).unwrap_or(bytes.len());
    }
    let mut j = i;
    while j < bytes.len() {
        match bytes[j] {
            b',' | b'{' | b'}' | b'[' | b']' | b'\n' => break,
            b':' if bytes
                .get(j + 1)
                .is_none_or(|n| n.is_ascii_whitespace() || b",{}[]\"".contains(n)) =>
            {
                break;
            }
            _ => j += 1,
        }
    }
    while j > i && bytes[j - 1].is_ascii_whitespace() {
        j -= 1;
    }
    j
}

/// A scalar in a flow collection: a key (when the map waits for one) or a value.
fn scalar(
    text: &str,
    range: std::ops::Range<usize>,
    stack: &mut [Flow],
    positions: &mut Positions,
) {
    let Some(Flow::Map { path, key }) = stack.last_mut() else {
        return;
    };
    match key.take() {
        None => {
            let raw = &text[range.clone()];
            let name = if raw.starts_with('"') || raw.starts_with('\'') {
                unquote(raw)
            } else {
                raw.to_owned()
            };
            *key = Some((name, range));
        }
        Some((k, key_range)) => {
            positions.record(
                join(path, &k),
                Located {
                    key: key_range,
                    value: range,
                },
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    fn at<'t>(text: &'t str, positions: &Positions, p: &[&str]) -> &'t str {
        let located = positions.get(&path(p)).unwrap();
        &text[located.value.clone()]
    }

    #[test]
    fn block_paths_with_items_and_comments() {
        let text = "\
kind: List
items:
- kind: Deployment   # one
  metadata:
    name: web
  spec:
    template:
      metadata:
        labels: {app: web, needs-db: \"true\"}
      spec:
        containers:
          - name: c
            command: |
              name: not-a-key
            ports:
            - containerPort: 8080
- kind: Service
  metadata:
    name: 'web'
";
        let positions = scan(text);
        assert_eq!(
            at(text, &positions, &["items", "0", "metadata", "name"]),
            "web"
        );
        assert_eq!(
            at(text, &positions, &["items", "1", "metadata", "name"]),
            "'web'"
        );
        assert_eq!(at(text, &positions, &["items", "0", "kind"]), "Deployment");
        let labels = [
            "items", "0", "spec", "template", "metadata", "labels", "needs-db",
        ];
        assert_eq!(at(text, &positions, &labels), "\"true\"");
        let port = [
            "items",
            "0",
            "spec",
            "template",
            "spec",
            "containers",
            "0",
            "ports",
            "0",
            "containerPort",
        ];
        assert_eq!(at(text, &positions, &port), "8080");
        assert!(positions.get(&path(&["name"])).is_none());
    }

    #[test]
    fn json_documents() {
        let text = "{\"kind\": \"Deployment\", \"metadata\": {\"name\": \"api\"},\n \"spec\": {\"template\": {\"metadata\": {\"labels\": {\"app\": \"api\"}}}, \"x\": [1, {\"a\": 2}]}}";
        let positions = scan(text);
        assert_eq!(at(text, &positions, &["metadata", "name"]), "\"api\"");
        assert_eq!(
            at(
                text,
                &positions,
                &["spec", "template", "metadata", "labels", "app"]
            ),
            "\"api\""
        );
        assert_eq!(at(text, &positions, &["spec", "x", "1", "a"]), "2");
    }

    #[test]
    fn never_fails_on_garbage() {
        for text in ["{", "- - -", "a: [", ": :", "\"a", "- {a: }\n  b: c", "'''"] {
            let _ = scan(text);
        }
    }
}
