//! Words for grammar rules: what "expected ..." says for each rule pest reports, what a
//! token found in the input is called, and how each item is written (the help line of
//! a syntax error). The only place that knows rule names as text: users never see a
//! pest rule name. Must never decide where an error is (see `explain`).

use super::grammar::Rule;

/// How an expected rule is named in a message.
pub(crate) fn rule_words(rule: Rule) -> &'static str {
    match rule {
        Rule::semi => "`;`",
        Rule::comma => "`,`",
        Rule::lbrace | Rule::namespace_body | Rule::set_body | Rule::service_body => "`{`",
        Rule::rbrace | Rule::stray_close => "`}`",
        Rule::colon => "`:`",
        Rule::slash | Rule::protocol => "`/`",
        Rule::equals => "`=`",
        Rule::star => "`*`",
        Rule::dash => "`-`",
        Rule::kw_namespace => "`namespace`",
        Rule::kw_external => "`external`",
        Rule::kw_service => "`service`",
        Rule::kw_select => "`select`",
        Rule::kw_port => "`port`",
        Rule::kw_group => "`group`",
        Rule::kw_except | Rule::except_clause => "`except`",
        Rule::kw_needs => "`needs`",
        Rule::kw_export => "`export`",
        Rule::kw_to => "`to`",
        Rule::kw_use => "`use`",
        Rule::kw_std => "`std`",
        Rule::kw_exempt => "`exempt`",
        Rule::kw_label => "`label`",
        Rule::kw_enforcement => "`enforcement`",
        Rule::kw_on => "`on`",
        Rule::kw_off => "`off`",
        Rule::kw_selected => "`selected`",
        Rule::kw_isolate => "`isolate`",
        Rule::kw_identity => "`identity`",
        Rule::kw_labels => "`labels`",
        Rule::kw_selectors => "`selectors`",
        Rule::kw_ingress => "`ingress`",
        Rule::kw_egress => "`egress`",
        Rule::kw_guard => "`guard`",
        Rule::kw_warn => "`warn`",
        Rule::kw_cni => "`cni`",
        Rule::kw_cluster => "`cluster`",
        Rule::kw_namespaces => "`namespaces`",
        Rule::set_select => "`select ...;`",
        Rule::kw_pods => "`pods`",
        Rule::kw_nodes => "`nodes`",
        Rule::cluster_line => "a `pods` or `nodes` line",
        Rule::name => "a name",
        Rule::namespace_name => "a namespace name",
        Rule::export_to => "`*` or a namespace name",
        Rule::service_name => "a service name",
        Rule::group_name => "a group name",
        Rule::external_name => "a name for the address range",
        Rule::module_name => "a module name",
        Rule::number | Rule::port_numbers => "a port number",
        Rule::port_name => "a port name",
        Rule::protocol_name => "a protocol (`tcp`, `udp` or `sctp`)",
        Rule::cidr | Rule::cidr_list => "an address range such as `10.0.0.0/8`",
        Rule::label_key => "a label key",
        Rule::label_value | Rule::bare_value => "a label value",
        Rule::label_pair => "`key = value`",
        Rule::label_in | Rule::label_notin | Rule::label_absent | Rule::label_exists => {
            "`key = value`, `key in (...)`, `key notin (...)`, `key` or `!key`"
        }
        Rule::label_values | Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::bang => "`!`",
        Rule::kw_in => "`in`",
        Rule::kw_notin => "`notin`",
        Rule::string | Rule::string_text | Rule::unterminated_string => "a quoted path",
        Rule::reference => "a name, `namespace/name`, `namespace/*` or `*`",
        Rule::target => "a target (`name`, `namespace/name`, `namespace/*` or `*`)",
        Rule::port_set => "a port or `{`",
        Rule::port_spec => "a port",
        Rule::std_module => "`std/NAME`",
        Rule::item_probe
        | Rule::namespace_item
        | Rule::external_namespace_item
        | Rule::namespace_set_item
        | Rule::service_item
        | Rule::group_item
        | Rule::external_item
        | Rule::needs_item
        | Rule::export_item
        | Rule::use_item
        | Rule::exempt_item
        | Rule::enforcement_item
        | Rule::isolate_item
        | Rule::identity_item
        | Rule::guard_item
        | Rule::cni_item
        | Rule::cluster_item
        | Rule::bad_item => "an item",
        Rule::service_line_probe | Rule::select_line | Rule::port_line | Rule::bad_service_line => {
            "`select`, `port` or `}`"
        }
        Rule::EOI | Rule::file => "the end of the file",
        // Silent rules: pest never reports them.
        Rule::WHITESPACE
        | Rule::comment
        | Rule::name_char
        | Rule::name_text
        | Rule::label_word
        | Rule::service_line
        | Rule::select_term
        | Rule::item_strict
        | Rule::item
        | Rule::skip_quoted
        | Rule::skip_piece
        | Rule::skip_block
        | Rule::skip_to_semi
        | Rule::port_gap
        | Rule::byte_order_mark => "something else",
    }
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`": the expected rules, duplicates dropped.
pub(crate) fn expected_list(rules: &[Rule]) -> String {
    let mut words: Vec<&str> = Vec::new();
    for &rule in rules {
        let word = rule_words(rule);
        if !words.contains(&word) {
            words.push(word);
        }
    }
    match words.as_slice() {
        [] => "something else".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The keywords among `rules` (without backticks), for did-you-mean.
pub(crate) fn keywords(rules: &[Rule]) -> Vec<&'static str> {
    rules
        .iter()
        .filter(|&&r| is_keyword(r))
        .map(|&r| rule_words(r).trim_matches('`'))
        .collect()
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_namespace
            | Rule::kw_external
            | Rule::kw_service
            | Rule::kw_select
            | Rule::kw_port
            | Rule::kw_group
            | Rule::kw_except
            | Rule::kw_needs
            | Rule::kw_export
            | Rule::kw_to
            | Rule::kw_use
            | Rule::kw_std
            | Rule::kw_exempt
            | Rule::kw_label
            | Rule::kw_enforcement
            | Rule::kw_on
            | Rule::kw_off
            | Rule::kw_selected
            | Rule::kw_isolate
            | Rule::kw_identity
            | Rule::kw_labels
            | Rule::kw_selectors
            | Rule::kw_ingress
            | Rule::kw_egress
            | Rule::kw_guard
            | Rule::kw_warn
            | Rule::kw_cni
            | Rule::kw_cluster
            | Rule::kw_pods
            | Rule::kw_nodes
    )
}

/// Every keyword that can start an item or a service line.
pub(crate) const ITEM_KEYWORDS: &[&str] = &[
    "namespace",
    "external",
    "service",
    "group",
    "export",
    "use",
    "exempt",
    "enforcement",
    "isolate",
    "identity",
    "guard",
    "cni",
    "cluster",
    "select",
    "port",
];

/// What an item may start with, for the help line.
pub(crate) const ANY_ITEM_FORM: &str = "an item starts with `namespace`, `external`, `service`, `group`, `export`, `use`, `exempt`, `enforcement`, `isolate`, `identity`, `guard`, `cni` or `cluster`, or is a need such as `api needs db:5432;`";

/// What a service body holds, for the help line.
pub(crate) const SERVICE_LINE_FORM: &str =
    "a service body holds `select KEY = VALUE, ...;` and `port 443, metrics 9100/udp, ...;` lines";

/// How the item that starts with `first_word` is written, for the help line.
pub(crate) fn item_form(first_word: &str) -> &'static str {
    match first_word {
        "namespace" => "a namespace is written `namespace NAME;` or `namespace NAME { ... }`",
        "external" => {
            "write `external NAME = CIDR, ... except CIDR, ...;` or `external namespace NAME { ... }`"
        }
        "service" => {
            "a service is written `service NAME;` or `service NAME { select KEY = VALUE; port 443; }`"
        }
        "group" => "a group is written `group NAME = REFERENCE, ...;`",
        "export" => {
            "an export is written `export SERVICE, ... to NAMESPACE, ...;` or `export SERVICE to *;`"
        }
        "use" => "write `use std/NAME;` or `use \"path/to/file.netp\";`",
        "exempt" => "write `exempt label KEY;` or `exempt label KEY = VALUE;`",
        "enforcement" => {
            "write `enforcement on;`, `enforcement off;`, `enforcement selected;`, or one direction: `enforcement ingress off;`, `enforcement egress selected;`"
        }
        "isolate" => {
            "write `isolate SERVICE, ...;`, `isolate ingress SERVICE;` or `isolate egress *;`"
        }
        "guard" => "write `guard labels;` or `guard labels warn;`",
        "identity" => "write `identity labels;` or `identity selectors;`",
        "cni" => {
            "write `cni \"NAME@VERSION\";`, for example `cni \"calico@3.29\";` (`netpc cni list`)"
        }
        "cluster" => "write `cluster { pods CIDR, ...; nodes CIDR, ...; }`",
        "select" => "a selector is written `select KEY = VALUE, ...;`",
        "port" => "ports are written `port 443, 8000-8080, metrics 9100/udp;`",
        _ => {
            "a need is written `SUBJECT, ... needs TARGET, ...;` where a target is `name`, `namespace/name`, `namespace/*` or `*`, optionally with `:PORT` or `:{PORT, ...}`"
        }
    }
}

/// How the input at byte `pos` is called in "found ...": a word, a character, or the
/// end of the file (`source_len` excludes braces the pre-scan appended).
pub(crate) fn found_words(text: &str, pos: usize, source_len: usize) -> (String, usize) {
    if pos >= source_len {
        return ("the end of the file".to_owned(), 0);
    }
    let rest = text.get(pos..source_len).unwrap_or("");
    let word_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(rest.len());
    if word_len > 0 {
        return (format!("`{}`", &rest[..word_len]), word_len);
    }
    match rest.chars().next() {
        Some(c) if c.is_control() => (
            format!("a control character (U+{:04X})", u32::from(c)),
            c.len_utf8(),
        ),
        Some('\u{FFFD}') => ("a byte that is not UTF-8".to_owned(), 3),
        Some('`') => ("a backtick".to_owned(), 1),
        Some(c) => (format!("`{c}`"), c.len_utf8()),
        None => ("the end of the file".to_owned(), 0),
    }
}
