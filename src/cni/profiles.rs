//! The network-plugin profiles as data: for each plugin, which NetworkPolicy features
//! it enforces from which version, what happens to a policy that uses one before that
//! (its failure mode), and the source that says so. Every entry carries a `source`
//! (the notes of `shared/reference/cni-capabilities.md` and what was checked against
//! the plugins' repositories, recorded in `docs/cni.md`). Nothing here decides what to
//! diagnose: `checks` maps failure modes to codes.

use super::Version;

/// A NetworkPolicy feature whose support differs between plugins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// Any NetworkPolicy at all.
    Policies,
    /// A port by name (`port: metrics`).
    NamedPorts,
    /// `ipBlock.except`.
    Except,
    /// A port range (`endPort`).
    EndPort,
    /// `protocol: SCTP`.
    Sctp,
    /// An `ipBlock` with an IPv6 CIDR.
    Ipv6IpBlock,
}

impl Feature {
    /// Every feature, in table order.
    pub const ALL: [Feature; 6] = [
        Feature::Policies,
        Feature::NamedPorts,
        Feature::Except,
        Feature::EndPort,
        Feature::Sctp,
        Feature::Ipv6IpBlock,
    ];

    /// How users call it, in messages and the table.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Policies => "NetworkPolicy",
            Feature::NamedPorts => "named ports",
            Feature::Except => "ipBlock except",
            Feature::EndPort => "port ranges (endPort)",
            Feature::Sctp => "SCTP",
            Feature::Ipv6IpBlock => "IPv6 ipBlock",
        }
    }
}

/// What a plugin does with a policy that uses a feature it does not support.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No NetworkPolicy is enforced at all: policies are accepted and have no effect.
    NotEnforced,
    /// The whole policy is skipped (logged at most): the pods it selects are not
    /// isolated by it, so traffic it should deny passes (fail-open).
    PolicyDropped,
    /// The field is accepted and ignored: `endPort` leaves only `port`, `except` is
    /// not subtracted.
    FieldIgnored,
    /// It works only with a flag of the plugin (named here).
    NeedsFlag(&'static str),
    /// It works with known gaps (described in the entry's note).
    Partial,
    /// No source says whether the plugin supports it.
    Unverified,
}

/// Whether an `ipBlock` peer also matches pod IPs (and so Service-less pod traffic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpBlockRule {
    /// An `ipBlock` matches pods whose IP lies in it (Calico, kube-router, kindnet).
    MatchesPods,
    /// An `ipBlock` never matches a pod IP (the Cilium family).
    NeverPods,
    /// No source says.
    Unknown,
}

/// One cell of the matrix: `feature` works from `since` (`None`: never); before it,
/// a policy that uses it fails as `failure` says.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub feature: Feature,
    pub since: Option<Version>,
    pub failure: Failure,
    /// What the plugin really does, in one line.
    pub note: &'static str,
    pub source: &'static str,
}

/// A plugin and what it enforces.
#[derive(Clone, Copy, Debug)]
pub struct Plugin {
    /// The name in `cni "NAME@VERSION";`.
    pub name: &'static str,
    pub title: &'static str,
    /// What VERSION is the version of (`None`: the name takes no version).
    pub versioned_by: Option<&'static str>,
    /// The oldest version netpc has a profile for; older ones are refused.
    pub first: Version,
    pub ipblock: IpBlockRule,
    pub ipblock_source: &'static str,
    /// hostNetwork pods are never isolated by NetworkPolicy on this plugin.
    pub host_network_source: &'static str,
    /// Features it does not support from its first version on; unlisted ones work.
    pub entries: &'static [Entry],
    /// How to see what it drops, and other gaps, for `netpc cni list`.
    pub remarks: &'static str,
}

const fn v(major: u32, minor: u32, patch: u32) -> Version {
    Version {
        major,
        minor,
        patch,
    }
}

const fn entry(
    feature: Feature,
    since: Option<Version>,
    failure: Failure,
    note: &'static str,
    source: &'static str,
) -> Entry {
    Entry {
        feature,
        since,
        failure,
        note,
        source,
    }
}

use Failure::*;
use Feature::*;

const CALICO: &[Entry] = &[
    entry(
        EndPort,
        Some(v(3, 19, 0)),
        FieldIgnored,
        "endPort is ignored before 3.19: only `port` is allowed",
        "projectcalico/calico v3.19.0 release notes (libcalico-go#1357)",
    ),
    entry(
        Sctp,
        Some(v(3, 12, 0)),
        FieldIgnored,
        "SCTP rules are not programmed before 3.12",
        "projectcalico/calico v3.12.0 release notes (felix#2192)",
    ),
];

const CILIUM: &[Entry] = &[
    entry(
        EndPort,
        Some(v(1, 16, 0)),
        FieldIgnored,
        "endPort is accepted and ignored before 1.16: only `port` is allowed",
        "cilium PR#33463 (v1.16.0-rc.1 notes), cilium#28684",
    ),
    entry(
        Sctp,
        None,
        NeedsFlag("enable-sctp"),
        "SCTP is enforced only with the agent flag `enable-sctp`; Services that translate SCTP ports are unsupported",
        "cilium PR#20033, PR#35238, #5719",
    ),
];

const KUBE_ROUTER: &[Entry] = &[
    entry(
        Except,
        Some(v(0, 2, 1)),
        FieldIgnored,
        "`except` is ignored before 0.2.1 (traffic allowed to the whole CIDR)",
        "kube-router#326, PR#543 (first tag v0.2.1, checked)",
    ),
    entry(
        NamedPorts,
        Some(v(0, 3, 0)),
        PolicyDropped,
        "a policy with a named port is skipped whole before 0.3.0",
        "kube-router#648, PR#679 (first tag v0.3.0, checked)",
    ),
    entry(
        EndPort,
        Some(v(1, 3, 0)),
        FieldIgnored,
        "endPort is ignored before 1.3.0: only `port` is allowed",
        "kube-router PR#1080 (first tag v1.3.0, checked)",
    ),
    entry(
        Sctp,
        Some(v(2, 8, 0)),
        Partial,
        "SCTP rules need v2.8.0 (ipset entries lacked SCTP on the musl image)",
        "kube-router commit 39efb923, #1019 (first tag v2.8.0, checked)",
    ),
];

/// k3s embeds a kube-router fork older than v2.8.0 and at least v1.3.
const K3S: &[Entry] = &[entry(
    Sctp,
    None,
    Partial,
    "the embedded kube-router fork predates SCTP support (v2.8.0)",
    "k3s-io/k3s go.mod (fork v2.6.3-k3s1); kube-router commit 39efb923",
)];

const ANTREA: &[Entry] = &[entry(
    EndPort,
    Some(v(1, 1, 0)),
    FieldIgnored,
    "endPort is ignored before 1.1.0",
    "antrea CHANGELOG-1.1.md (#2190)",
)];

const EKS: &[Entry] = &[
    entry(
        Except,
        None,
        Partial,
        "`except` rules merge wrongly with other rules of the same policy",
        "aws/aws-network-policy-agent#180",
    ),
    entry(
        NamedPorts,
        None,
        Partial,
        "egress named ports to an ipBlock or with no `to` are dropped, so that rule allows nothing",
        "aws-network-policy-agent#193, controller pkg/resolvers/endpoints.go",
    ),
];

/// AKS with Azure CNI powered by Cilium, by Kubernetes version: 1.29 and 1.30 run
/// Cilium 1.14, 1.31 and newer Cilium 1.16.
const AKS_CILIUM: &[Entry] = &[
    entry(
        EndPort,
        Some(v(1, 31, 0)),
        FieldIgnored,
        "Kubernetes 1.29 and 1.30 on AKS run Cilium 1.14, which accepts and ignores endPort",
        "MicrosoftDocs/azure-aks-docs articles/aks/azure-cni-powered-by-cilium.md (Cilium versions per Kubernetes version); cilium#28684",
    ),
    entry(
        Sctp,
        None,
        Unverified,
        "no source says whether AKS enables SCTP in its Cilium",
        "MicrosoftDocs/azure-aks-docs articles/aks/azure-cni-powered-by-cilium.md",
    ),
];

const AZURE_NPM: &[Entry] = &[
    entry(
        EndPort,
        Some(v(1, 4, 15)),
        FieldIgnored,
        "NPM v1 has no endPort; v2 from tag v1.4.15",
        "Azure/azure-container-networking#1055 (tag v1.4.15)",
    ),
    entry(
        Ipv6IpBlock,
        None,
        PolicyDropped,
        "a non-IPv4 ipBlock fails translation and the whole policy is skipped (fail-open)",
        "azure-container-networking npm/pkg/controlplane/translation/translatePolicy.go",
    ),
];

const AZURE_NPM_WINDOWS: &[Entry] = &[
    entry(
        NamedPorts,
        None,
        PolicyDropped,
        "named ports fail translation on Windows: the whole policy is skipped (fail-open)",
        "azure-container-networking translatePolicy.go",
    ),
    entry(
        Except,
        None,
        PolicyDropped,
        "`except` fails translation on Windows: the whole policy is skipped (fail-open)",
        "azure-container-networking translatePolicy.go",
    ),
    entry(
        Sctp,
        None,
        PolicyDropped,
        "SCTP fails translation on Windows: the whole policy is skipped (fail-open)",
        "azure-container-networking translatePolicy.go",
    ),
    entry(
        EndPort,
        Some(v(1, 4, 15)),
        FieldIgnored,
        "NPM v1 has no endPort; v2 from tag v1.4.15",
        "Azure/azure-container-networking#1055 (tag v1.4.15)",
    ),
    entry(
        Ipv6IpBlock,
        None,
        PolicyDropped,
        "a non-IPv4 ipBlock fails translation and the whole policy is skipped (fail-open)",
        "azure-container-networking translatePolicy.go",
    ),
];

const WEAVE: &[Entry] = &[
    entry(
        NamedPorts,
        None,
        PolicyDropped,
        "npc/analyser.go rejects a whole policy with a named port (only logged and counted)",
        "weaveworks/weave npc/analyser.go (v2.5.0+), #3032",
    ),
    entry(
        EndPort,
        None,
        FieldIgnored,
        "no EndPort handling anywhere: only `port` is allowed",
        "weaveworks/weave npc (v2.8.1)",
    ),
    entry(
        Except,
        None,
        Partial,
        "`except` misses traffic from the pod's own node",
        "weaveworks/weave#3924",
    ),
    entry(
        Sctp,
        None,
        Unverified,
        "no source says whether Weave enforces SCTP",
        "cni-capabilities.md (no source found)",
    ),
];

const FLANNEL: &[Entry] = &[entry(
    Policies,
    None,
    NotEnforced,
    "flannel enforces no NetworkPolicy: policies are accepted and have no effect",
    "flannel-io/flannel#558, k3s#445",
)];

const KINDNET: &[Entry] = &[entry(
    Policies,
    Some(v(0, 24, 0)),
    NotEnforced,
    "kind before 0.24 ignored NetworkPolicy; kindnet evaluates fail-open",
    "kubernetes-sigs/kind PR#3612, kind#3705",
)];

const GKE: &[Entry] = &[
    entry(
        EndPort,
        None,
        Unverified,
        "the bundled Cilium version is not published",
        "cloud.google.com GKE Dataplane V2 concepts",
    ),
    entry(
        Sctp,
        None,
        Unverified,
        "the bundled Cilium version is not published",
        "cloud.google.com GKE Dataplane V2 concepts",
    ),
];

const CALICO_IPB: &str = "projectcalico/calico#6634: ipBlock 0.0.0.0/0 matches pod and Service IPs";
const KUBE_ROUTER_IPB: &str =
    "kube-router e2e \"allows traffic from IPs inside an ipBlock CIDR\" (a client pod's /32)";
const CILIUM_IPB: &str = "cilium Documentation/network/kubernetes/policy.rst (#9209): ipBlock never selects pod IPs; node IPs only with policy-cidr-match-mode=nodes (1.15+)";
const NO_SOURCE: &str = "no source found";

/// Every profile, sorted by name.
pub const PLUGINS: &[Plugin] = &[
    Plugin {
        name: "aks-cilium",
        title: "AKS with Azure CNI powered by Cilium",
        versioned_by: Some("Kubernetes (AKS)"),
        first: v(1, 29, 0),
        ipblock: IpBlockRule::NeverPods,
        ipblock_source: "MicrosoftDocs/azure-aks-docs azure-cni-powered-by-cilium.md: ipBlock can't select pod or node IPs, even 0.0.0.0/0",
        host_network_source: "azure-cni-powered-by-cilium.md: hostNetwork pods are excluded",
        entries: AKS_CILIUM,
        remarks: "Linux nodes only; flow logs need Advanced Container Networking Services",
    },
    Plugin {
        name: "antrea",
        title: "Antrea",
        versioned_by: Some("Antrea"),
        first: v(0, 5, 1),
        ipblock: IpBlockRule::Unknown,
        ipblock_source: NO_SOURCE,
        host_network_source: "antrea CHANGELOG-1.1.md (#2093)",
        entries: ANTREA,
        remarks: "drop logs: Namespace annotation networkpolicy.antrea.io/enable-logging (1.8)",
    },
    Plugin {
        name: "azure-npm",
        title: "Azure NPM (Linux)",
        versioned_by: Some("azure-container-networking (NPM)"),
        first: v(1, 4, 0),
        ipblock: IpBlockRule::Unknown,
        ipblock_source: NO_SOURCE,
        host_network_source: "azure-container-networking controllers/v2/podController.go",
        entries: AZURE_NPM,
        remarks: "a policy that fails translation is logged and skipped (fail-open)",
    },
    Plugin {
        name: "azure-npm-windows",
        title: "Azure NPM (Windows, preview)",
        versioned_by: Some("azure-container-networking (NPM)"),
        first: v(1, 4, 0),
        ipblock: IpBlockRule::Unknown,
        ipblock_source: NO_SOURCE,
        host_network_source: "azure-container-networking controllers/v2/podController.go",
        entries: AZURE_NPM_WINDOWS,
        remarks: "Windows support is in preview (docs/npm.md); failed policies are skipped (fail-open)",
    },
    Plugin {
        name: "calico",
        title: "Calico OSS (also Canal)",
        versioned_by: Some("Calico"),
        first: v(3, 0, 0),
        ipblock: IpBlockRule::MatchesPods,
        ipblock_source: CALICO_IPB,
        host_network_source: "felix#1361, calico#4493 (hosts need HostEndpoints)",
        entries: CALICO,
        remarks: "drop logs: a Calico-API Log rule; flow logs (Whisker) from 3.30",
    },
    Plugin {
        name: "cilium",
        title: "Cilium",
        versioned_by: Some("Cilium"),
        first: v(1, 8, 0),
        ipblock: IpBlockRule::NeverPods,
        ipblock_source: CILIUM_IPB,
        host_network_source: "hostNetwork pods have the host identity (AKS azure-cni-powered-by-cilium.md)",
        entries: CILIUM,
        remarks: "drop logs: Hubble (names the policy from 1.18)",
    },
    Plugin {
        name: "eks-vpc-cni",
        title: "AWS VPC CNI with the network policy agent",
        versioned_by: Some("Amazon VPC CNI"),
        first: v(1, 14, 0),
        ipblock: IpBlockRule::Unknown,
        ipblock_source: NO_SOURCE,
        host_network_source: "aws-network-policy-agent f339dac (v1.3.2)",
        entries: EKS,
        remarks: "new pods are default-allow until programmed unless strict mode (CNI 1.17.1); EC2 Linux nodes only",
    },
    Plugin {
        name: "flannel",
        title: "flannel (alone)",
        versioned_by: None,
        first: v(0, 0, 0),
        ipblock: IpBlockRule::Unknown,
        ipblock_source: NO_SOURCE,
        host_network_source: NO_SOURCE,
        entries: FLANNEL,
        remarks: "use Canal (flannel + Calico policy) for NetworkPolicy",
    },
    Plugin {
        name: "gke-dpv2",
        title: "GKE Dataplane V2 (managed Cilium)",
        versioned_by: None,
        first: v(0, 0, 0),
        ipblock: IpBlockRule::NeverPods,
        ipblock_source: "inferred from Cilium (CI1); GKE does not publish the bundled version",
        host_network_source: "inferred from Cilium",
        entries: GKE,
        remarks: "NodeLocal DNSCache is on by default: use std/dns-nodelocal; logging through the NetworkLogging CRD",
    },
    Plugin {
        name: "k3s",
        title: "k3s (embedded kube-router fork)",
        versioned_by: Some("k3s"),
        first: v(1, 24, 0),
        ipblock: IpBlockRule::MatchesPods,
        ipblock_source: KUBE_ROUTER_IPB,
        host_network_source: "kube-router pkg/controllers/netpol/utils.go skips hostNetwork pods",
        entries: K3S,
        remarks: "without the ipset kernel modules k3s warns and enforces nothing (pkg/agent/netpol/netpol.go)",
    },
    Plugin {
        name: "kindnet",
        title: "kindnet (kind)",
        versioned_by: Some("kind"),
        first: v(0, 20, 0),
        ipblock: IpBlockRule::MatchesPods,
        ipblock_source: "kubernetes-sigs/kube-network-policies pkg/networkpolicy: ipBlock is checked for every IP",
        host_network_source: "kube-network-policies",
        entries: KINDNET,
        remarks: "evaluation is fail-open (kindnetd hard-codes FailOpen: true); no drop log",
    },
    Plugin {
        name: "kube-router",
        title: "kube-router",
        versioned_by: Some("kube-router"),
        first: v(0, 2, 0),
        ipblock: IpBlockRule::MatchesPods,
        ipblock_source: KUBE_ROUTER_IPB,
        host_network_source: "kube-router pkg/controllers/netpol/utils.go skips hostNetwork pods (checked at v2.8.0)",
        entries: KUBE_ROUTER,
        remarks: "drop logs: NFLOG group 100 (1.0); new pods pass traffic until programmed unless --netpol-default-deny (2.10)",
    },
    Plugin {
        name: "ovn-k",
        title: "OVN-Kubernetes (also OpenShift)",
        versioned_by: None,
        first: v(0, 0, 0),
        ipblock: IpBlockRule::Unknown,
        ipblock_source: NO_SOURCE,
        host_network_source: "OpenShift network policy docs: the host network namespace is not covered",
        entries: &[],
        remarks: "drop logs: Namespace annotation k8s.ovn.org/acl-logging; an egress named port once allowed other ports (#2117)",
    },
    Plugin {
        name: "weave",
        title: "Weave Net (unmaintained)",
        versioned_by: Some("Weave Net"),
        first: v(2, 5, 0),
        ipblock: IpBlockRule::Unknown,
        ipblock_source: NO_SOURCE,
        host_network_source: "weaveworks/weave npc",
        entries: WEAVE,
        remarks: "unmaintained since v2.8.1 (2021); drops go to NFLOG group 86",
    },
];

/// Other names a plugin is known by, and the profile they mean.
pub const ALIASES: &[(&str, &str)] = &[
    ("aks-npm", "azure-npm"),
    ("aws-vpc-cni", "eks-vpc-cni"),
    ("canal", "calico"),
    ("dataplane-v2", "gke-dpv2"),
    ("ovn-kubernetes", "ovn-k"),
    ("weave-net", "weave"),
];
