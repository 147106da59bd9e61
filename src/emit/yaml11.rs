//! YAML 1.1 safety. serde_yaml writes YAML 1.2 and leaves plain scalars such as `yes`,
//! `on`, `n` or `1_000` unquoted, but kubectl, kustomize (go-yaml) and PyYAML read YAML
//! 1.1, where those are booleans or numbers, so a label value `on` would break `kubectl
//! apply`. When a program contains such a name, every emitted line is rewritten to
//! single-quote the ambiguous keys and values. Pure text work; never changes meaning.

/// Whether YAML 1.1 reads `s`, written plain, as something other than a string (for
/// the scalars netpc can emit: names, label keys and values, port names).
pub fn ambiguous(s: &str) -> bool {
    // `true`/`false` are booleans in YAML 1.2 too, so serde_yaml quotes those strings
    // itself; a plain `true` in its output is a real boolean and must stay plain.
    const BOOLS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    if BOOLS.contains(&s) {
        return true;
    }
    let bytes = s.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_digit)
        && s.contains('_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'e' | b'E' | b'+' | b'-'))
}

fn quote_if_ambiguous(token: &str, out: &mut String) {
    if ambiguous(token) {
        out.push('\'');
        out.push_str(token);
        out.push('\'');
    } else {
        out.push_str(token);
    }
}

/// Quote every ambiguous plain key or value in `text` (block-style YAML as serde_yaml
/// writes it, one key or list item per line).
pub fn quote_ambiguous(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if body.trim_start().starts_with('#') {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start_matches([' ', '-']).len();
        let (lead, rest) = body.split_at(indent);
        out.push_str(lead);
        if let Some((key, value)) = rest.split_once(": ") {
            quote_if_ambiguous(key, &mut out);
            out.push_str(": ");
            quote_if_ambiguous(value, &mut out);
        } else if let Some(key) = rest.strip_suffix(':') {
            quote_if_ambiguous(key, &mut out);
            out.push(':');
        } else {
            quote_if_ambiguous(rest, &mut out);
        }
        out.push_str(newline);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_yaml_1_1_booleans_and_underscored_numbers() {
        for s in ["yes", "on", "N", "off", "1_000", "1_0.5"] {
            assert!(ambiguous(s), "{s}");
        }
        for s in ["api", "needs-on", "10", "one", "0b1x", "true-ish", "true"] {
            assert!(!ambiguous(s), "{s}");
        }
    }

    #[test]
    fn quotes_keys_values_and_items() {
        let text = "metadata:\n  namespace: on\nspec:\n  podSelector:\n    matchLabels:\n      yes: no\n  values:\n  - y\n  - 'n'\n  - api\n";
        assert_eq!(
            quote_ambiguous(text),
            "metadata:\n  namespace: 'on'\nspec:\n  podSelector:\n    matchLabels:\n      'yes': 'no'\n  values:\n  - 'y'\n  - 'n'\n  - api\n"
        );
    }
}
