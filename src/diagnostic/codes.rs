//! The table of diagnostic codes: stable identifiers, their severity, a title, and the
//! long explanation printed by `netpc explain CODE` (kept in `docs/codes/CODE.md`, so the
//! docs and the binary say the same thing). Codes are never renumbered or reused.
//! Ranges: `E1xx` syntax, `E2xx` names and scopes, `E3xx` values, `W0xx` warnings,
//! `E4xx`/`W4xx` workloads (manifests checked against the program), `E5xx`/`W5xx` the
//! network plugin's profile (`docs/cni.md`), `E6xx`/`W6xx` issue 14's language
//! extensions (`E60x`/`W60x`: `enforcement ... selected`, `isolate`, `anywhere`;
//! `E65x`/`W65x`: namespace sets).

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $code:literal, $severity:ident, $title:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// A few words naming what the code is about.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            /// The long description, with an example, from `docs/codes/CODE.md`.
            pub fn explanation(self) -> &'static str {
                match self {
                    $( Code::$variant => include_str!(concat!("../../docs/codes/", $code, ".md")), )*
                }
            }

            /// Accepts `E201` or `e201`.
            pub fn parse(text: &str) -> Option<Code> {
                let upper = text.trim().to_ascii_uppercase();
                Code::ALL.iter().copied().find(|c| c.as_str() == upper)
            }
        }
    };
}

codes! {
    // E1xx: syntax
    SyntaxError = "E100", Error, "syntax error";
    UnclosedBlock = "E101", Error, "unclosed block";
    UnterminatedString = "E102", Error, "unterminated string";
    NestingTooDeep = "E103", Error, "blocks nested too deeply";
    InvalidEncoding = "E104", Error, "file is not UTF-8 text";
    MisplacedItem = "E105", Error, "item not allowed here";

    // E2xx: names and scopes
    UnknownName = "E200", Error, "unknown name";
    UnknownNamespace = "E201", Error, "unknown namespace";
    DuplicateDeclaration = "E202", Error, "duplicate declaration";
    InvalidName = "E203", Error, "invalid name";
    MissingExport = "E204", Error, "cross-namespace need without export";
    UndeclaredPort = "E205", Error, "port not declared by the target";
    BareTargetWithoutPorts = "E206", Error, "target declares no ports";
    OutsideNamespace = "E207", Error, "declaration outside a namespace";
    UseNotFound = "E208", Error, "module not found";
    UseCycle = "E209", Error, "cyclic use";
    GroupCycle = "E210", Error, "cyclic group";
    WrongKind = "E211", Error, "wrong kind of name";
    ConflictingSetting = "E212", Error, "setting given twice";
    SettingNotHere = "E213", Error, "setting not allowed here";
    NamespaceKindConflict = "E214", Error, "namespace both managed and external";
    ExternalToExternal = "E215", Error, "need between two externals";
    UseRefused = "E216", Error, "`use` outside what it may read";
    GuardWithoutLabels = "E217", Error, "label guard without the labels identity style";

    // E3xx: values
    InvalidPort = "E300", Error, "port number out of range";
    ReversedRange = "E301", Error, "reversed port range";
    NamedRange = "E302", Error, "named port range";
    InvalidPortName = "E303", Error, "invalid port name";
    InvalidProtocol = "E304", Error, "unknown protocol";
    InvalidCidr = "E305", Error, "invalid CIDR";
    CidrHostBits = "E306", Error, "CIDR has host bits set";
    ExceptNotInside = "E307", Error, "except not strictly inside its range";
    MixedFamilies = "E308", Error, "mixed IP families";
    InvalidLabelKey = "E309", Error, "invalid label key";
    InvalidLabelValue = "E310", Error, "invalid label value";
    DuplicatePort = "E311", Error, "port declared twice";
    DuplicateLabelKey = "E312", Error, "label key given twice";
    GeneratedNameTooLong = "E320", Error, "generated name exceeds Kubernetes limits";
    GeneratedNameCollision = "E321", Error, "generated names collide";

    // E40x: workloads (`--workloads`: the real manifests against the program)
    MissingClientLabel = "E400", Error, "workload lacks a client label";
    UndeclaredClientLabel = "E401", Error, "workload carries an undeclared client label";
    NamedPortNotExposed = "E402", Error, "named port not exposed by the target's containers";
    PortNotOnPod = "E403", Error, "needed port not on the target's pods";
    UnreadableManifest = "E404", Error, "manifest cannot be read";

    // W0xx: warnings
    NoDns = "W001", Warning, "namespace cannot resolve DNS";
    SelfNeed = "W002", Warning, "service needs itself";
    UnboundedExternal = "W003", Warning, "external covers every address";
    BroaderGrant = "W004", Warning, "label grants more ports than asked";
    UnusedExport = "W005", Warning, "export nobody uses";
    DuplicateNeed = "W006", Warning, "need declared twice";
    OverlappingSelectors = "W007", Warning, "selectors of two services overlap";
    ExemptSelector = "W008", Warning, "service selects only exempt pods";

    // W40x: workloads
    UnselectedWorkload = "W400", Warning, "workload selected by no service";
    DoublySelectedWorkload = "W401", Warning, "workload selected by two services";
    ServiceWithoutWorkload = "W402", Warning, "service selects no workload";
    ExemptTemplate = "W403", Warning, "pod template carries the exempt label";
    HostNetworkSelected = "W404", Warning, "hostNetwork pod selected by a service";

    // E5xx/W5xx: the network plugin's profile (`cni`, `--cni`)
    UnknownCni = "E500", Error, "unknown network plugin";
    UnsupportedCniVersion = "E501", Error, "network plugin version not covered";
    PluginEnforcesNothing = "E502", Error, "network plugin enforces no NetworkPolicy";
    PolicyDroppedByPlugin = "E503", Error, "network plugin would drop the policy";
    FieldIgnoredByPlugin = "E504", Error, "network plugin would ignore a field";
    PortRangeTooWide = "E505", Error, "port range too wide for a plugin without endPort";
    IpBlockMatchesPods = "W500", Warning, "external overlaps the pod network on a plugin that matches pod IPs";
    IpBlockMissesCluster = "W501", Warning, "external inside the cluster's networks on a plugin that never matches them";
    FeatureNeedsFlag = "W502", Warning, "feature needs a flag of the network plugin";
    FeaturePartial = "W503", Warning, "feature with known gaps on the network plugin";
    FeatureUnverified = "W504", Warning, "feature support unverified on the network plugin";
    PortRangeExpanded = "W505", Warning, "port range expanded into single ports";

    // E60x/W60x: language extensions of issue 14 (`enforcement ... selected`, `isolate`)
    IsolateNotInNamespace = "E600", Error, "`isolate` outside a managed namespace";
    IsolateNotOwnPods = "E601", Error, "`isolate` names what are not pods of its namespace";
    ReservedAnywhere = "E602", Error, "`anywhere` is reserved";
    AnywhereWithoutPods = "E603", Error, "need with `anywhere` and no pods";
    IsolateWithoutEffect = "W600", Warning, "`isolate` in a direction that is not `selected`";
    SelectedIsolatesAll = "W601", Warning, "`selected` direction where `*` isolates every pod";
    // E65x/W65x: namespace sets and set-based selectors (issue 14)
    SetWithoutSelect = "E650", Error, "namespace set without exactly one select line";
    SetNameConflict = "E651", Error, "namespace set name declared again";
    ExportToSet = "E652", Error, "export to a namespace set";
    SetByNamespaceName = "E653", Error, "namespace set chosen by the namespace name label";
    EverySetMeetsManaged = "W650", Warning, "need through every namespace reaches managed ones only one way";
}
