//! Which strings may be written as plain YAML scalars. kubectl and kustomize (go-yaml),
//! PyYAML and Ansible read YAML 1.1, where a plain `on`, `n`, `2001-01-01`, `0x1f`,
//! `1_000` or `12:30` is a boolean, a date or a number; YAML 1.2 readers (serde_yaml)
//! read `1e3`, `0o17` and `null` as non-strings too. [`plain_is_string`] says whether
//! every one of those readers gets the same string back from a plain scalar; the YAML
//! writer (`emit::yaml`) quotes every string for which it does not. The rule errs on the
//! side of quoting: a needless quote changes no value, a missing one does.

/// Words that some YAML version resolves to a boolean, null, merge key or value key,
/// compared ignoring ASCII case (YAML 1.1 lists only some casings; quoting the others
/// costs nothing).
const WORDS: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "<<", "=",
];

/// Whether the plain scalar `s` reads back as the string `s` in YAML 1.1 and 1.2 (the
/// characters themselves being plain-safe is checked by the writer).
pub fn plain_is_string(s: &str) -> bool {
    !ambiguous(s)
}

/// Whether a YAML 1.1 or 1.2 reader could resolve the plain scalar `s` to something
/// other than the string `s`: empty (null), booleans, null, `~`, `<<`, `=` (any case),
/// numbers in every form (signs, `0x`/`0o`/`0b`, leading zeros, underscores, `.inf`,
/// `.nan`, exponents, sexagesimal `1:20`) and dates or timestamps (`2001-01-01...`).
pub fn ambiguous(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return true;
    };
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return true;
    }
    if first.is_ascii_alphabetic() {
        // No number, date or special float starts with a letter.
        return false;
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    special_float(body) || prefixed_int(body) || numeric(body) || date(s)
}

/// `.inf`, `.nan` in any case (after the sign).
fn special_float(body: &str) -> bool {
    body.eq_ignore_ascii_case(".inf") || body.eq_ignore_ascii_case(".nan")
}

/// `0x1f`, `0o17`, `0b101` (and with underscores, any case of the prefix letter).
fn prefixed_int(body: &str) -> bool {
    let bytes = body.as_bytes();
    bytes.len() >= 2
        && bytes[0] == b'0'
        && matches!(bytes[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
        && bytes[2..]
            .iter()
            .all(|b| b.is_ascii_hexdigit() || *b == b'_')
}

/// Every decimal, octal, float and sexagesimal form: starting with a digit or a dot and
/// made only of digits, `_`, `.`, `:`, exponent letters and signs (`10`, `0755`,
/// `1_000.5`, `1e3`, `.5`, `12:30`, `1:20.5`, `1.2.3`). A superset of what the readers
/// resolve, on purpose.
fn numeric(body: &str) -> bool {
    let bytes = body.as_bytes();
    bytes
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
        && bytes.iter().all(|b| {
            b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'e' | b'E' | b'+' | b'-')
        })
}

/// Dates and timestamps: four digits, `-`, a digit (`2001-01-01`, `2001-1-1t10:00:00`).
fn date(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() >= 6
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_yaml_1_1_and_1_2_non_string() {
        for s in [
            "",
            "y",
            "Y",
            "yes",
            "YES",
            "yEs",
            "n",
            "no",
            "on",
            "On",
            "off",
            "OFF",
            "true",
            "False",
            "null",
            "NULL",
            "~",
            "<<",
            "=",
            "0",
            "10",
            "-1",
            "+1",
            "0755",
            "0x1f",
            "0X1F",
            "-0x1f",
            "0o17",
            "0b101",
            "1_000",
            "1_0",
            "1_0.5",
            "1e3",
            "1E+3",
            "1.5e-3",
            ".5",
            "1.",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "12:30",
            "1:20",
            "190:20:30",
            "1:20.5",
            "2001-01-01",
            "2001-1-1",
            "2001-12-14t21:59:43.10-05:00",
            "1.2.3",
        ] {
            assert!(ambiguous(s), "`{s}` must be quoted");
        }
    }

    #[test]
    fn leaves_ordinary_names_plain() {
        for s in [
            "api",
            "needs-on",
            "one",
            "0b1x",
            "true-ish",
            "kube-dns",
            "a1",
            "nan",
            "inf",
            "10.0.0.0/8",
            "fd00::/8",
            "grid/ingress/allow-ingress-api.yaml",
            "networking.k8s.io/v1",
            "2024-report",
            "x-1e3",
        ] {
            assert!(!ambiguous(s), "`{s}` can stay plain");
            // What the writer asks: a needless quote on every name would be a regression
            // of the output (kubectl-style manifests quote only what they must).
            assert!(plain_is_string(s), "`{s}` is written plain");
        }
    }
}
