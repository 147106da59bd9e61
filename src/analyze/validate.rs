//! API-server validation of NetworkPolicy objects (semantics reference §6): names,
//! label selectors, ports and protocols, `endPort`, peers, ipBlocks (strict CIDR
//! syntax) and `policyTypes`, plus two checks of the whole input (duplicate policy
//! names; a named port in an egress rule to ipBlocks only). Owns the rules of
//! validity and the field paths in messages; it must never evaluate connectivity.

use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// One reason a policy is invalid: the field (`spec.ingress[0].ports[1].endPort`) and
/// what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub field: String,
    pub message: String,
}

fn issue(issues: &mut Vec<Issue>, field: &str, message: String) {
    issues.push(Issue {
        field: field.to_string(),
        message,
    });
}

/// What the API server would reject in `policy`'s name and namespace. These do not
/// change the evaluation, so `check` reports them as warnings (netpol-analyzer's
/// corpus has policies named with `_`).
pub fn validate_policy_name(policy: &NetworkPolicy) -> Vec<Issue> {
    let mut issues = Vec::new();
    match policy.metadata.name.as_deref() {
        None | Some("") => issue(&mut issues, "metadata.name", "is required".into()),
        Some(name) if !is_dns1123_subdomain(name) => issue(
            &mut issues,
            "metadata.name",
            format!("`{name}` is not a DNS-1123 subdomain"),
        ),
        Some(_) => {}
    }
    if let Some(ns) = policy
        .metadata
        .namespace
        .as_deref()
        .filter(|ns| !ns.is_empty())
        && !is_dns1123_label(ns)
    {
        issue(
            &mut issues,
            "metadata.namespace",
            format!("`{ns}` is not a DNS-1123 label"),
        );
    }
    issues
}

/// Everything the API server would reject in `policy`'s spec.
pub fn validate_policy(policy: &NetworkPolicy) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(spec) = &policy.spec else {
        return issues;
    };
    if let Some(sel) = &spec.pod_selector {
        validate_selector(sel, "spec.podSelector", &mut issues);
    }
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        let field = format!("spec.ingress[{i}]");
        validate_ports(rule.ports.as_deref(), &field, &mut issues);
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            validate_peer(peer, &format!("{field}.from[{j}]"), &mut issues);
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let field = format!("spec.egress[{i}]");
        validate_ports(rule.ports.as_deref(), &field, &mut issues);
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            validate_peer(peer, &format!("{field}.to[{j}]"), &mut issues);
        }
    }
    if let Some(types) = &spec.policy_types {
        if types.len() > 2 {
            issue(
                &mut issues,
                "spec.policyTypes",
                format!(
                    "may not list more than two policy types (found {})",
                    types.len()
                ),
            );
        }
        for (i, t) in types.iter().enumerate() {
            if t != "Ingress" && t != "Egress" {
                issue(
                    &mut issues,
                    &format!("spec.policyTypes[{i}]"),
                    format!("`{t}` is not `Ingress` or `Egress`"),
                );
            }
        }
    }
    issues
}

/// netpc's own check (not the API server's, which accepts it): a named port in an
/// egress rule whose peers are all ipBlocks can never match, since names resolve on
/// destination pods. netpol-analyzer rejects such a policy too.
pub fn lint_named_port_to_ip_blocks(policy: &NetworkPolicy) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(spec) = &policy.spec else {
        return issues;
    };
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let peers = rule.to.as_deref().unwrap_or_default();
        if peers.is_empty() || !peers.iter().all(|p| p.ip_block.is_some()) {
            continue;
        }
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            if let Some(IntOrString::String(name)) = &port.port {
                issue(
                    &mut issues,
                    &format!("spec.egress[{i}].ports[{j}].port"),
                    format!(
                        "named port `{name}` in a rule whose peers are all ipBlocks can never match"
                    ),
                );
            }
        }
    }
    issues
}

fn validate_ports(ports: Option<&[NetworkPolicyPort]>, rule: &str, issues: &mut Vec<Issue>) {
    for (j, port) in ports.unwrap_or_default().iter().enumerate() {
        let field = format!("{rule}.ports[{j}]");
        if let Some(protocol) = &port.protocol
            && !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP")
        {
            issue(
                issues,
                &format!("{field}.protocol"),
                format!("`{protocol}` is not `TCP`, `UDP` or `SCTP`"),
            );
        }
        match &port.port {
            Some(IntOrString::Int(n)) => {
                if !(1..=65535).contains(n) {
                    issue(
                        issues,
                        &format!("{field}.port"),
                        format!("{n} is not between 1 and 65535"),
                    );
                }
                if let Some(end) = port.end_port {
                    if !(1..=65535).contains(&end) {
                        issue(
                            issues,
                            &format!("{field}.endPort"),
                            format!("{end} is not between 1 and 65535"),
                        );
                    } else if end < *n {
                        issue(
                            issues,
                            &format!("{field}.endPort"),
                            format!("{end} is less than `port` {n}"),
                        );
                    }
                }
            }
            Some(IntOrString::String(name)) => {
                if !is_port_name(name) {
                    issue(
                        issues,
                        &format!("{field}.port"),
                        format!("`{name}` is not a valid port name (IANA_SVC_NAME)"),
                    );
                }
                if port.end_port.is_some() {
                    issue(
                        issues,
                        &format!("{field}.endPort"),
                        "may not be used with a named port".into(),
                    );
                }
            }
            None => {
                if port.end_port.is_some() {
                    issue(
                        issues,
                        &format!("{field}.endPort"),
                        "may not be used without `port`".into(),
                    );
                }
            }
        }
    }
}

fn validate_peer(peer: &NetworkPolicyPeer, field: &str, issues: &mut Vec<Issue>) {
    let selectors =
        usize::from(peer.pod_selector.is_some()) + usize::from(peer.namespace_selector.is_some());
    if selectors == 0 && peer.ip_block.is_none() {
        issue(
            issues,
            field,
            "must set at least one of `podSelector`, `namespaceSelector` or `ipBlock`".into(),
        );
    }
    if peer.ip_block.is_some() && selectors > 0 {
        issue(
            issues,
            field,
            "may not combine `ipBlock` with `podSelector` or `namespaceSelector`".into(),
        );
    }
    if let Some(sel) = &peer.pod_selector {
        validate_selector(sel, &format!("{field}.podSelector"), issues);
    }
    if let Some(sel) = &peer.namespace_selector {
        validate_selector(sel, &format!("{field}.namespaceSelector"), issues);
    }
    if let Some(block) = &peer.ip_block {
        validate_ip_block(block, &format!("{field}.ipBlock"), issues);
    }
}

fn validate_ip_block(block: &IPBlock, field: &str, issues: &mut Vec<Issue>) {
    let cidr = match parse_cidr(&block.cidr) {
        Ok(net) => Some(net),
        Err(why) => {
            issue(issues, &format!("{field}.cidr"), why);
            None
        }
    };
    for (k, except) in block.except.iter().flatten().enumerate() {
        let except_field = format!("{field}.except[{k}]");
        match parse_cidr(except) {
            Err(why) => issue(issues, &except_field, why),
            Ok(net) => {
                if let Some(cidr) = cidr {
                    let strict_subset = cidr.contains(&net) && net.prefix_len() > cidr.prefix_len();
                    if !strict_subset {
                        issue(
                            issues,
                            &except_field,
                            format!("`{except}` is not a strict subset of `{}`", block.cidr),
                        );
                    }
                }
            }
        }
    }
}

/// A CIDR as the API server accepts it under strict validation: canonical address
/// (no leading zeros), no IPv4-mapped IPv6, no host bits set.
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let net: IpNet = text
        .parse()
        .map_err(|_| format!("`{text}` is not a CIDR (address/prefix)"))?;
    let address = text.split('/').next().unwrap_or_default();
    if net.addr().is_ipv4()
        && address
            .split('.')
            .any(|octet| octet.len() > 1 && octet.starts_with('0'))
    {
        return Err(format!("`{text}` has an octet with a leading zero"));
    }
    if let IpAddr::V6(v6) = net.addr()
        && v6.to_ipv4_mapped().is_some()
    {
        return Err(format!("`{text}` is an IPv4-mapped IPv6 CIDR"));
    }
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has host bits set (use `{}`)",
            net.trunc()
        ));
    }
    Ok(net)
}

fn validate_selector(sel: &LabelSelector, field: &str, issues: &mut Vec<Issue>) {
    for (key, value) in sel.match_labels.iter().flatten() {
        if let Err(why) = check_label_key(key) {
            issue(issues, &format!("{field}.matchLabels"), why);
        }
        if let Err(why) = check_label_value(value) {
            issue(issues, &format!("{field}.matchLabels.{key}"), why);
        }
    }
    for (i, expr) in sel.match_expressions.iter().flatten().enumerate() {
        let expr_field = format!("{field}.matchExpressions[{i}]");
        if let Err(why) = check_label_key(&expr.key) {
            issue(issues, &format!("{expr_field}.key"), why);
        }
        let values = expr.values.as_deref().unwrap_or_default();
        match expr.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    issue(
                        issues,
                        &format!("{expr_field}.values"),
                        format!("must be non-empty for operator `{}`", expr.operator),
                    );
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    issue(
                        issues,
                        &format!("{expr_field}.values"),
                        format!("must be empty for operator `{}`", expr.operator),
                    );
                }
            }
            other => issue(
                issues,
                &format!("{expr_field}.operator"),
                format!("`{other}` is not `In`, `NotIn`, `Exists` or `DoesNotExist`"),
            ),
        }
        for (k, value) in values.iter().enumerate() {
            if let Err(why) = check_label_value(value) {
                issue(issues, &format!("{expr_field}.values[{k}]"), why);
            }
        }
    }
}

fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && !is_dns1123_subdomain(prefix)
    {
        return Err(format!(
            "label key `{key}` has an invalid prefix (DNS-1123 subdomain)"
        ));
    }
    if name.is_empty() || name.len() > 63 || !is_label_name(name) {
        return Err(format!("`{key}` is not a valid label key"));
    }
    Ok(())
}

fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 || !is_label_name(value) {
        return Err(format!("`{value}` is not a valid label value"));
    }
    Ok(())
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_label_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    text.len() <= 63 && alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
}

/// Dot-separated DNS-1123 labels, at most 253 characters.
pub fn is_dns1123_subdomain(text: &str) -> bool {
    text.len() <= 253 && text.split('.').all(is_dns1123_label)
}

/// IANA_SVC_NAME: at most 15 of `[-a-z0-9]`, at least one letter, no leading,
/// trailing or doubled `-`.
fn is_port_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
mod tests {
    use super::*;

    #[test]
    fn port_names_follow_iana_svc_name() {
        for ok in ["http", "dns-tcp", "h2c", "a1234567890bcde"] {
            assert!(is_port_name(ok), "{ok}");
        }
        for bad in [
            "80",
            "-http",
            "http-",
            "dns--tcp",
            "HTTP",
            "a1234567890bcdef",
            "",
        ] {
            assert!(!is_port_name(bad), "{bad}");
        }
    }

    #[test]
    fn label_keys_and_values() {
        assert!(check_label_key("kubernetes.io/metadata.name").is_ok());
        assert!(check_label_key("app.kubernetes.io/part-of").is_ok());
        assert!(check_label_key("app@b").is_err());
        assert!(check_label_key("Example.com/app").is_err());
        assert!(check_label_key("/app").is_err());
        assert!(check_label_key(&"a".repeat(64)).is_err());
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("v1.2_x-Y").is_ok());
        assert!(check_label_value("$backendservice").is_err());
        assert!(check_label_value("-a").is_err());
        // At most 63 characters in a key's name and in a value.
        let (most, over) = ("a".repeat(63), "a".repeat(64));
        assert!(check_label_key(&most).is_ok());
        assert!(check_label_key(&format!("example.com/{most}")).is_ok());
        assert!(check_label_key(&format!("example.com/{over}")).is_err());
        assert!(check_label_value(&most).is_ok());
        assert!(check_label_value(&over).is_err());
        assert!(check_label_value(&"a".repeat(200)).is_err());
    }

    #[test]
    fn cidrs_are_strict() {
        assert!(parse_cidr("10.0.0.0/8").is_ok());
        assert!(parse_cidr("2001:db8::/32").is_ok());
        assert!(parse_cidr("10.0.0.1/8").is_err());
        assert!(parse_cidr("010.0.0.0/8").is_err());
        assert!(parse_cidr("::ffff:10.0.0.0/104").is_err());
        assert!(parse_cidr("A").is_err());
        assert!(parse_cidr("10.0.0.0").is_err());
    }

    fn policy(metadata: &str, spec: &str) -> NetworkPolicy {
        let text = format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {metadata}\nspec: {spec}\n"
        );
        serde_yaml::from_str(&text).unwrap()
    }

    fn fields(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.field.as_str()).collect()
    }

    /// A namespace, when one is given, must be a DNS-1123 label; an empty one is the
    /// same as none (the object lands in the default namespace).
    #[test]
    fn a_given_namespace_must_be_a_label() {
        let named = |ns: &str| {
            validate_policy_name(&policy(&format!("{{name: p, namespace: {ns:?}}}"), "{}"))
        };
        assert_eq!(fields(&named("Team_A")), ["metadata.namespace"]);
        assert_eq!(fields(&named("a.b")), ["metadata.namespace"]);
        assert!(named("team-a").is_empty());
        assert!(named("").is_empty());
        assert!(validate_policy_name(&policy("{name: p}", "{}")).is_empty());
    }

    /// A named port can only match when some peer of its egress rule is a pod: rules
    /// whose peers are all ipBlocks are refused, each named port at its path.
    #[test]
    fn named_ports_toward_ip_blocks_only() {
        let lint = |spec: &str| lint_named_port_to_ip_blocks(&policy("{name: p}", spec));
        let blocks = "[{ipBlock: {cidr: 10.0.0.0/8}}, {ipBlock: {cidr: 192.168.0.0/16}}]";
        let issues = lint(&format!(
            "{{egress: [{{to: [{{podSelector: {{}}}}], ports: [{{port: http}}]}}, {{to: {blocks}, ports: [{{port: 80}}, {{port: dns}}]}}]}}"
        ));
        assert_eq!(fields(&issues), ["spec.egress[1].ports[1].port"]);
        assert!(issues[0].message.contains("`dns`"), "{}", issues[0].message);
        let mixed = "[{ipBlock: {cidr: 10.0.0.0/8}}, {podSelector: {}}]";
        assert!(
            lint(&format!(
                "{{egress: [{{to: {mixed}, ports: [{{port: http}}]}}]}}"
            ))
            .is_empty()
        );
        assert!(lint("{egress: [{ports: [{port: http}]}]}").is_empty());
        assert!(
            lint("{ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}], ports: [{port: http}]}]}")
                .is_empty()
        );
    }

    /// `endPort` may equal `port` (a range of one), never be below it.
    #[test]
    fn an_end_port_may_equal_the_port() {
        let ports = |end: u16| {
            validate_policy(&policy(
                "{name: p}",
                &format!(
                    "{{podSelector: {{}}, ingress: [{{ports: [{{port: 80, endPort: {end}}}]}}]}}"
                ),
            ))
        };
        assert!(ports(80).is_empty(), "{:?}", fields(&ports(80)));
        assert!(ports(81).is_empty());
        assert_eq!(fields(&ports(79)), ["spec.ingress[0].ports[0].endPort"]);
    }

    #[test]
    fn names() {
        assert!(is_dns1123_subdomain("web.v1-a"));
        assert!(!is_dns1123_subdomain("use_common_labels"));
        assert!(is_dns1123_label("kube-system"));
        assert!(!is_dns1123_label("a.b"));
    }
}
