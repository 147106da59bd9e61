//! The editor packages keep up with the grammar: every keyword of `grammar/netp.pest`
//! (each `kw_NAME` rule) is highlighted by the TextMate grammar of
//! `editors/vscode/` (it appears as a whole alternative of one of its `match`
//! patterns) and offered by the language server's completion (`ide::KEYWORDS`), and
//! neither names a keyword the grammar does not have. The VS Code package's files
//! point at each other correctly.

use std::collections::BTreeSet;

fn grammar_keywords() -> BTreeSet<String> {
    let pest = std::fs::read_to_string("grammar/netp.pest").unwrap();
    let keywords: BTreeSet<String> = pest
        .lines()
        .filter_map(|line| line.strip_prefix("kw_"))
        .filter_map(|rest| {
            let (_, after) = rest.split_once("@{ \"")?;
            Some(after.split('"').next()?.to_owned())
        })
        .collect();
    assert!(keywords.len() > 20, "{keywords:?}");
    keywords
}

/// Every word that stands as a whole alternative of a `(a|b|c)` group in a pattern.
fn textmate_words(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                if let ("match" | "begin", serde_json::Value::String(regex)) = (key.as_str(), value)
                {
                    for group in regex.split('(').skip(1) {
                        let group = group.split(')').next().unwrap_or("");
                        if group.chars().all(|c| c.is_ascii_lowercase() || c == '|') {
                            out.extend(
                                group.split('|').filter(|w| !w.is_empty()).map(String::from),
                            );
                        }
                    }
                }
                textmate_words(value, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| textmate_words(v, out)),
        _ => {}
    }
}

#[test]
fn textmate_grammar_and_completion_cover_every_keyword() {
    let keywords = grammar_keywords();
    let text = std::fs::read_to_string("editors/vscode/syntaxes/netp.tmLanguage.json").unwrap();
    let grammar: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut words = BTreeSet::new();
    textmate_words(&grammar, &mut words);
    let missing: Vec<&String> = keywords.difference(&words).collect();
    assert!(
        missing.is_empty(),
        "keywords the TextMate grammar does not highlight: {missing:?}"
    );
    // Words it highlights that are neither keywords nor protocols.
    let protocols: BTreeSet<String> = ["tcp", "udp", "sctp"].map(String::from).into();
    let extra: Vec<&String> = words
        .iter()
        .filter(|w| !keywords.contains(*w) && !protocols.contains(*w))
        .collect();
    assert!(
        extra.is_empty(),
        "not keywords of grammar/netp.pest: {extra:?}"
    );
    let completed: BTreeSet<String> = netpc::ide::KEYWORDS
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
    assert_eq!(
        completed, keywords,
        "ide::KEYWORDS against grammar/netp.pest"
    );
}

#[test]
fn vscode_package_points_at_its_files() {
    let dir = std::path::Path::new("editors/vscode");
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let language = &package["contributes"]["languages"][0];
    assert_eq!(language["extensions"], serde_json::json!([".netp"]));
    let grammar = &package["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.netp");
    for path in [
        language["configuration"].as_str().unwrap(),
        grammar["path"].as_str().unwrap(),
        package["main"].as_str().unwrap(),
    ] {
        assert!(dir.join(path).is_file(), "{path}");
    }
    let configuration: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("language-configuration.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(configuration["comments"]["lineComment"], "//");
    let client = std::fs::read_to_string(dir.join("extension.js")).unwrap();
    assert!(client.contains("\"lsp\""), "the client starts `netpc lsp`");
    assert_eq!(
        package["contributes"]["configuration"]["properties"]["netp.server.path"]["default"],
        "netpc"
    );
}
