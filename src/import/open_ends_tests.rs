//! Unit tests of `needs::plan` on rules whose other end is open in a `selected`
//! direction: the connection written with an `anywhere` need keeping the open end
//! open, only when no pod at that end is isolated; a note otherwise; nothing extra for
//! a namespace set's pods.

use super::needs::{End, Plan, plan};
use super::policies::read;
use super::{Port, PortValue, Ports};
use crate::analyze::Labels;

const HEAD: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n";

fn policy(name: &str, body: &str) -> String {
    format!("{HEAD}metadata: {{name: {name}, namespace: shop}}\nspec:\n{body}")
}

/// The api's egress to `to` (a peer, in YAML) on TCP 6379, and the payments'
/// ingress from the api (so both directions of `shop` are `selected`), plus `more`.
fn planned(to: &str, more: &[String]) -> Plan {
    let mut texts = vec![
        policy(
            "api-egress",
            &format!(
                "  podSelector: {{matchLabels: {{app: api}}}}\n  policyTypes: [Egress]\n  \
                 egress:\n  - to: [{to}]\n    ports: [{{port: 6379}}]\n"
            ),
        ),
        policy(
            "payments-ingress",
            "  podSelector: {matchLabels: {app: payments}}\n  policyTypes: [Ingress]\n  \
             ingress:\n  - from: [{podSelector: {matchLabels: {app: worker}}}]\n",
        ),
    ];
    texts.extend(more.iter().cloned());
    let named: Vec<(String, String)> = texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("p{i}.yaml"), t))
        .collect();
    let cluster =
        crate::analyze::load_texts(named.iter().map(|(p, t)| (p.as_str(), t.as_str()))).unwrap();
    plan(&read(&cluster))
}

fn pods(app: &str) -> End {
    let labels: Labels = [("app".to_owned(), app.to_owned())].into_iter().collect();
    End::Pods {
        namespace: "shop".to_owned(),
        labels: super::pod_terms::Select {
            labels,
            terms: Vec::new(),
        },
    }
}

fn ports(plan: &Plan, subject: &End, target: &End) -> Option<Ports> {
    plan.needs
        .iter()
        .find(|n| &n.subject == subject && &n.target == target)
        .map(|n| n.ports.clone())
}

#[test]
fn an_open_target_is_reached_and_kept_open() {
    let plan = planned("{podSelector: {matchLabels: {app: cache}}}", &[]);
    let tcp = Port {
        protocol: "TCP".to_owned(),
        value: PortValue::Range(6379, 6379),
    };
    let reach = ports(&plan, &pods("api"), &pods("cache"));
    assert_eq!(reach, Some(Ports::Some(vec![tcp])));
    let keep = ports(&plan, &End::Anywhere, &pods("cache"));
    assert_eq!(keep, Some(Ports::All));
    assert!(plan.open.contains(&(End::Anywhere, pods("cache"))));
    // The worker's egress is open too: `worker needs anywhere;` keeps it so.
    let worker = ports(&plan, &pods("worker"), &End::Anywhere);
    assert_eq!(worker, Some(Ports::All));
    assert!(plan.open.contains(&(pods("worker"), End::Anywhere)));
    assert_eq!(plan.open.len(), 2);
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
}

#[test]
fn a_partly_isolated_target_is_left_out_with_a_note() {
    // Some cache pods (tier=hot) are isolated for ingress: `anywhere needs cache`
    // would open them, so the connection to the open ones is left out.
    let hot = policy(
        "hot-ingress",
        "  podSelector: {matchLabels: {app: cache, tier: hot}}\n  policyTypes: [Ingress]\n",
    );
    let plan = planned("{podSelector: {matchLabels: {app: cache}}}", &[hot]);
    assert_eq!(ports(&plan, &pods("api"), &pods("cache")), None);
    assert_eq!(ports(&plan, &End::Anywhere, &pods("cache")), None);
    assert!(!plan.open.contains(&(End::Anywhere, pods("cache"))));
    let note = plan.notes.iter().find(|n| n.policy == "shop/api-egress");
    assert!(
        note.is_some_and(|n| n.text.contains("no ingress policy selects")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn a_namespace_set_peer_needs_nothing_more() {
    // `all-namespaces/*`: the set's need already reaches the open pods of `shop`.
    let plan = planned("{namespaceSelector: {}}", &[]);
    assert!(!plan.open.iter().any(|(s, _)| *s == End::Anywhere));
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
}

#[test]
fn one_anywhere_need_keeps_nested_open_targets_open() {
    // `anywhere needs cache` covers `anywhere needs cache-hot`: only one is written.
    let more = policy(
        "api-egress-hot",
        "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n  \
         - to: [{podSelector: {matchLabels: {app: cache, tier: hot}}}]\n",
    );
    let plan = planned("{podSelector: {matchLabels: {app: cache}}}", &[more]);
    let anywhere: Vec<&End> = plan
        .needs
        .iter()
        .filter(|n| n.subject == End::Anywhere)
        .map(|n| &n.target)
        .collect();
    assert_eq!(anywhere, vec![&pods("cache")]);
    let opened: Vec<_> = plan
        .open
        .iter()
        .filter(|(s, _)| *s == End::Anywhere)
        .collect();
    assert_eq!(opened, vec![&(End::Anywhere, pods("cache"))]);
}
