//! [`check_flow_depth`] against serde_yaml on random documents: flow collections nested
//! around the limit, with the scalars that hide brackets (quoted, with escapes and
//! doubled quotes, after tags and anchors), tagged and anchored empty entries, comments, block scalars, plain scalars with
//! `-` and `?`, and line breaks inside flow collections. serde_yaml's own reading
//! is the oracle: the depth of the value it reads is the flow depth (the documents
//! nest only in flow collections), and the pre-scan must refuse exactly the documents
//! deeper than [`MAX_FLOW_DEPTH`].

use super::{MAX_FLOW_DEPTH, check_flow_depth};

/// A small deterministic generator (xorshift64*), so every run checks the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A scalar that may hold brackets, quotes, `#` and `:` that must not count.
fn scalar(rng: &mut Rng) -> String {
    let noise = rng.pick(&[
        "[[", "]]", "{[", "}]", "[", "]", "{", "}", ",", "# x", ": ", "",
    ]);
    match rng.below(9) {
        // Not `?y` or `a:b`: in flow context serde_yaml's scanner (libyaml's) reads
        // every `?` and `:` as an indicator, a mapping one level deeper.
        0 => rng
            .pick(&["a", "b-c", "x1", "-x", "1.5", "true"])
            .to_owned(),
        1 => format!("'it''s {noise}'"),
        2 => format!("'{noise}'"),
        3 => format!("\"say \\\"{noise}\\\" \\\\\""),
        4 => format!("\"{noise}\""),
        5 => format!("!t '{noise}'"),
        6 => format!("&a{} \"{noise}\"", rng.below(9)),
        // `#` after a non-blank is text, not a comment, even before a blank.
        7 => format!("plain {}", rng.pick(&["text", "a-b", "c?d", "a# b", "x#y"])),
        _ => format!("'{noise}\n  {noise}'"),
    }
}

/// Between two entries of a flow collection: a comma, perhaps a line break, perhaps
/// a comment (a comment needs a blank before it, and the line ends there).
fn separator(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => ", ".to_owned(),
        1 => ",\n  ".to_owned(),
        2 => format!(", # {}\n  ", rng.pick(&["[[[", "]]", "{", "'", "\""])),
        3 => format!(" #{}\n  , ", rng.pick(&["[[[", "]]", "{'", "\"["])),
        _ => ",".to_owned(),
    }
}

/// A flow collection nested exactly `depth` levels, with scalars and shallower
/// collections beside the deep one.
fn collection(rng: &mut Rng, depth: usize, out: &mut String) {
    let mapping = rng.below(3) == 0;
    out.push(if mapping { '{' } else { '[' });
    let entries = 1 + rng.below(3);
    let deep_at = rng.below(entries);
    for entry in 0..entries {
        if entry > 0 {
            out.push_str(&separator(rng));
        }
        if mapping {
            out.push_str(&format!("k{entry}: "));
        } else if rng.below(6) == 0 {
            // A tagged or anchored empty entry: the tag or anchor ends at the comma.
            out.push_str(rng.pick(&["!e,", "&e,", "!!str,", "!<a,b> ,", "!e%2C, "]));
        }
        if entry == deep_at && depth > 1 {
            if rng.below(4) == 0 {
                out.push_str("&n ");
            }
            collection(rng, depth - 1, out);
        } else if depth > 2 && rng.below(5) == 0 {
            // A sibling collection, shallower: it must close before the deep one opens.
            let shallow = 1 + rng.below(3.min(depth - 1));
            collection(rng, shallow, out);
        } else {
            out.push_str(&scalar(rng));
        }
    }
    out.push(if mapping { '}' } else { ']' });
}

/// A whole document: block lines before it (a block scalar full of brackets, a
/// comment), then the flow collection as a value.
fn document(rng: &mut Rng, depth: usize) -> String {
    let mut text = String::new();
    if rng.below(2) == 0 {
        text.push_str("note: |\n  [[[[{{ '\"\n  ]]\n");
    }
    if rng.below(2) == 0 {
        text.push_str("# [[[[ \"'\n");
    }
    if rng.below(3) == 0 {
        text.push_str("title: \"[[[\" # {{{\n");
    }
    text.push_str(rng.pick(&["value: ", "value: !x ", "- "]));
    collection(rng, depth, &mut text);
    text.push('\n');
    text
}

/// The depth of nested sequences and mappings in what serde_yaml read.
fn value_depth(value: &serde_yaml::Value) -> usize {
    use serde_yaml::Value;
    match value {
        Value::Sequence(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        Value::Mapping(map) => {
            1 + map
                .iter()
                .map(|(k, v)| value_depth(k).max(value_depth(v)))
                .max()
                .unwrap_or(0)
        }
        Value::Tagged(tagged) => value_depth(&tagged.value),
        _ => 0,
    }
}

/// Every generated document that serde_yaml reads is refused by the pre-scan exactly
/// when its flow collections nest deeper than the limit. The documents are read by
/// serde_yaml with the block mapping or sequence around them, which is one more
/// level than the flow depth.
#[test]
fn refuses_exactly_the_documents_serde_yaml_reads_as_too_deep() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut read, mut refused) = (0, 0);
    for case in 0..1_500 {
        let depth = MAX_FLOW_DEPTH - 3 + rng.below(7);
        let text = document(&mut rng, depth);
        let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
            continue;
        };
        let flow = value_depth(&value).saturating_sub(1);
        assert_eq!(flow, depth, "case {case}: the generator's depth\n{text}");
        read += 1;
        let too_deep = flow > MAX_FLOW_DEPTH;
        refused += usize::from(too_deep);
        assert_eq!(
            check_flow_depth(&text).is_err(),
            too_deep,
            "case {case}: flow depth {flow}\n{text}"
        );
    }
    // The generator must mostly write YAML that reads, on both sides of the limit.
    assert!(read > 1_000, "only {read} of 1,500 documents read");
    assert!(
        refused > 200 && read - refused > 200,
        "{refused} of {read} too deep"
    );
}
