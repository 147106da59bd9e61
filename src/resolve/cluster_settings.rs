//! The settings that describe the cluster rather than the policies: `cni
//! "NAME@VERSION";` (the network plugin, checked against its profile by `crate::cni`
//! after resolution) and `cluster { pods ...; nodes ...; }` (the cluster's own
//! networks). Both are program-wide: outside every namespace, in a file of the
//! program, once (E213, E212); the networks' CIDRs are checked like an external's
//! (E305, E306).

use super::declarations::Declarations;
use super::value_checks;
use crate::ast::{ClusterLine, ClusterNetwork, Spanned};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{ClusterNetworks, CniSetting};
use crate::source::Span;

/// At most this many networks in one `cluster` block (docs/limits.md).
pub const MAX_CLUSTER_NETWORKS: usize = 64;

/// Where a cluster setting stands, and what to call it in a message.
pub(super) struct Place {
    pub span: Span,
    /// Inside a namespace, or in a module: not allowed.
    pub misplaced: bool,
}

fn not_here(diagnostics: &mut Diagnostics, span: Span, what: &str) {
    diagnostics.push(
        Diagnostic::new(Code::SettingNotHere, format!("{what} is not allowed here"), span, "setting in the wrong place")
            .with_help(format!("{what} describes the whole cluster: write it once, outside every namespace, in a file of the program (not a module)")),
    );
}

fn twice(diagnostics: &mut Diagnostics, span: Span, what: &str, first: Span) {
    diagnostics.push(
        Diagnostic::new(
            Code::ConflictingSetting,
            format!("{what} is set twice"),
            span,
            "set again here",
        )
        .with_secondary(first, "first set here")
        .with_help("keep one of them"),
    );
}

/// `cni "NAME@VERSION";`
pub(super) fn collect_cni(
    decls: &mut Declarations,
    diagnostics: &mut Diagnostics,
    place: &Place,
    text: Spanned<String>,
) {
    if place.misplaced {
        return not_here(diagnostics, place.span, "`cni`");
    }
    if let Some(first) = &decls.cni {
        return twice(diagnostics, place.span, "`cni`", first.span);
    }
    decls.cni = Some(CniSetting {
        text: text.node,
        span: text.span,
    });
}

/// `cluster { pods CIDR, ...; nodes CIDR, ...; }`
pub(super) fn collect_cluster(
    decls: &mut Declarations,
    diagnostics: &mut Diagnostics,
    place: &Place,
    lines: &[ClusterLine],
) {
    if place.misplaced {
        return not_here(diagnostics, place.span, "`cluster`");
    }
    if let Some(first) = decls.cluster.span {
        return twice(diagnostics, place.span, "`cluster`", first);
    }
    let mut networks = ClusterNetworks {
        span: Some(place.span),
        ..ClusterNetworks::default()
    };
    let mut seen: Vec<(ClusterNetwork, Span)> = Vec::new();
    let mut count = 0;
    for line in lines {
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == line.kind.node) {
            let what = match line.kind.node {
                ClusterNetwork::Pods => "`pods`",
                ClusterNetwork::Nodes => "`nodes`",
            };
            twice(diagnostics, line.kind.span, what, *first);
            continue;
        }
        seen.push((line.kind.node, line.kind.span));
        for cidr in &line.cidrs {
            count += 1;
            if count > MAX_CLUSTER_NETWORKS {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidCidr,
                        format!("a `cluster` block holds at most {MAX_CLUSTER_NETWORKS} networks"),
                        cidr.span,
                        "one too many",
                    )
                    .with_help("declare the enclosing networks instead of each subnet"),
                );
                break;
            }
            let net = match value_checks::check_cidr(cidr) {
                Ok(net) => net,
                Err(d) => {
                    diagnostics.push(d);
                    continue;
                }
            };
            match line.kind.node {
                ClusterNetwork::Pods => networks.pods.push(net),
                ClusterNetwork::Nodes => networks.nodes.push(net),
            }
        }
    }
    for list in [&mut networks.pods, &mut networks.nodes] {
        list.sort();
        list.dedup();
    }
    decls.cluster = networks;
}
