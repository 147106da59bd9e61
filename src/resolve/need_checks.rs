//! The check stage: every resolved `needs` statement becomes one [`Need`] per subject
//! and target that passes its checks. Owns the checks of a need's ports (through
//! `port_checks`), of its two ends (E215 two externals, W002 a service needing
//! itself) and of consent: a need into another managed namespace must be exported to
//! the needing namespace (E204). Records which exports were used, for W005.

use rustc_hash::FxHashSet;

use super::declarations::Declarations;
use super::ids::Tables;
use super::port_checks::target_ports;
use super::references::{ExportIndex, Statement};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Endpoint, Need, NeedOrigin};
use crate::source::Span;

/// Exports some need used: (the service's span in the export, the needing namespace).
pub(super) type UsedExports = FxHashSet<(Span, String)>;

/// What the check stage produces: the needs that passed, in statement order.
pub(super) struct Checked {
    pub needs: Vec<Need>,
    pub used_exports: UsedExports,
}

/// The check stage, fed one resolved statement at a time (by `references::resolve`,
/// so each statement's syntax can be freed as soon as it is checked).
pub(super) struct NeedChecker<'a> {
    decls: &'a Declarations,
    tables: &'a Tables,
    used: UsedExports,
    needs: Vec<Need>,
}

impl<'a> NeedChecker<'a> {
    /// `most`: at most how many needs the statements make (a count from their syntax,
    /// [`super::references::most_needs`]). Reserved once, instead of doubling as
    /// 150,000 needs are pushed; groups can make more, and the vector then grows.
    /// Growing it by doubling instead lowered the heap peak (the reservation is made
    /// while all of the needs' syntax is alive) but raised the max RSS under mimalloc
    /// by 10-20 MB at 50,000 services (docs/performance.md).
    pub(super) fn new(decls: &'a Declarations, tables: &'a Tables, most: usize) -> Self {
        NeedChecker {
            decls,
            tables,
            used: UsedExports::default(),
            needs: Vec::with_capacity(most.min(MAX_RESERVED_NEEDS)),
        }
    }

    /// Check one statement and keep the needs that pass.
    pub(super) fn statement(
        &mut self,
        exports: &ExportIndex,
        statement: &Statement<'_>,
        diagnostics: &mut Diagnostics,
    ) {
        let mut checker = Checker {
            decls: self.decls,
            tables: self.tables,
            exports,
            used: &mut self.used,
            diagnostics,
        };
        checker.statement(statement, &mut self.needs);
    }

    /// The needs that passed, in statement order, and the exports they used.
    pub(super) fn finish(self) -> Checked {
        Checked {
            needs: self.needs,
            used_exports: self.used,
        }
    }
}

/// A bound on the reservation for a statement list whose groups multiply (the vector
/// still grows past it if the needs really are that many).
const MAX_RESERVED_NEEDS: usize = 1 << 22;

/// What the checks read, the exports used so far, and the sink; local to this file.
struct Checker<'a> {
    decls: &'a Declarations,
    tables: &'a Tables,
    exports: &'a ExportIndex,
    used: &'a mut UsedExports,
    diagnostics: &'a mut Diagnostics,
}

impl Checker<'_> {
    /// The needs of one statement: every subject with every target whose ports passed.
    fn statement(&mut self, statement: &Statement<'_>, needs: &mut Vec<Need>) {
        let mut targets = Vec::new();
        for &(endpoint, target) in &statement.targets {
            if let Some(ports) = target_ports(self.tables, target, endpoint, self.diagnostics) {
                targets.push((endpoint, ports, target.span));
            }
        }
        // W002 once per statement (and namespace): a group can make a service its own
        // target many times over, and one warning says it.
        let mut warned_self = false;
        for &(subject, subject_span) in &statement.subjects {
            for (target, ports, target_span) in &targets {
                let origin = NeedOrigin {
                    statement: statement.decl.span,
                    subject: subject_span,
                    target: *target_span,
                    export: None,
                    via_use: statement.via_use,
                };
                if !self.check_ends(subject, *target, &origin, &mut warned_self) {
                    continue;
                }
                let Some(export) = self.consent(&statement.namespace, *target, &origin) else {
                    continue;
                };
                needs.push(Need {
                    subject,
                    target: *target,
                    ports: ports.clone(),
                    origin: NeedOrigin { export, ..origin },
                });
            }
        }
    }

    /// E215 for two externals (`false`: no need), W002 for a service needing itself.
    fn check_ends(
        &mut self,
        subject: Endpoint,
        target: Endpoint,
        origin: &NeedOrigin,
        warned_self: &mut bool,
    ) -> bool {
        let outside = |end| matches!(end, Endpoint::External(_) | Endpoint::Anywhere);
        if outside(subject)
            && outside(target)
            && (subject == Endpoint::Anywhere || target == Endpoint::Anywhere)
        {
            self.diagnostics.push(
                Diagnostic::new(Code::AnywhereWithoutPods, "a need with `anywhere` and no pods at the other end", origin.target, "the target")
                    .with_secondary(origin.subject, "the subject")
                    .with_help("`anywhere` stands for every source or destination of pods: the other end must be pods (a service, `*` or `N/*`)"),
            );
            return false;
        }
        if let (Endpoint::External(_), Endpoint::External(_)) = (subject, target) {
            self.diagnostics.push(
                Diagnostic::new(Code::ExternalToExternal, "a need between two externals", origin.target, "an external target")
                    .with_secondary(origin.subject, "an external subject")
                    .with_help("traffic between two addresses outside the cluster never passes a NetworkPolicy: one end must be pods"),
            );
            return false;
        }
        if subject == target && matches!(subject, Endpoint::Service(_)) && !*warned_self {
            *warned_self = true;
            self.diagnostics.push(
                Diagnostic::new(Code::SelfNeed, "a service needs itself", origin.target, "same as the subject")
                    .with_secondary(origin.subject, "subject")
                    .with_help("a pod always reaches itself; this need only lets replicas of the service reach each other. Remove it unless they do"),
            );
        }
        true
    }

    /// Consent for a need from `namespace` to `target`: `Some(None)` when none is
    /// needed (same namespace, an external namespace, an address range),
    /// `Some(Some(export))` for the export that grants it, `None` after E204.
    fn consent(
        &mut self,
        namespace: &str,
        target: Endpoint,
        origin: &NeedOrigin,
    ) -> Option<Option<Span>> {
        let target_ns = match target {
            Endpoint::Service(id) => Some(self.tables.service_namespace[id.0 as usize]),
            Endpoint::Namespace(id) => Some(id),
            Endpoint::External(_) | Endpoint::Anywhere => None,
        };
        let here = self.tables.namespace_ids.get(namespace).copied();
        let Some(target_ns) =
            target_ns.filter(|ns| Some(*ns) != here && self.tables.managed[ns.0 as usize])
        else {
            return Some(None);
        };
        // The owner's name is only for a diagnostic: found (a walk over the
        // namespaces) only when one is reported.
        let owner = || {
            self.decls
                .namespaces
                .keys()
                .nth(target_ns.0 as usize)
                .cloned()
                .unwrap_or_default()
        };
        let Endpoint::Service(id) = target else {
            let owner = owner();
            // A managed namespace consents service by service, never for all its pods.
            self.diagnostics.push(
                Diagnostic::new(Code::MissingExport, format!("`{owner}/*` is every pod of managed namespace `{owner}`"), origin.target, "no consent for a whole namespace")
                    .with_help(format!("need the services themselves (`{owner}/api:443`) after namespace `{owner}` exports them to `{namespace}`")),
            );
            return None;
        };
        let entry = self.exports.get(&id).and_then(|entries| {
            entries.iter().find(|e| {
                e.to.as_ref()
                    .is_none_or(|to| to.iter().any(|n| n == namespace))
            })
        });
        if let Some(entry) = entry {
            self.used.insert((entry.span, namespace.to_owned()));
            return Some(Some(entry.item));
        }
        let owner = owner();
        self.missing_export(namespace, &owner, id, origin);
        None
    }

    fn missing_export(
        &mut self,
        namespace: &str,
        owner: &str,
        id: crate::ir::ServiceId,
        origin: &NeedOrigin,
    ) {
        let name = &self.tables.service_names[id.0 as usize];
        let short = name.rsplit('/').next().unwrap_or(name);
        let mut d = Diagnostic::new(
            Code::MissingExport,
            format!("`{name}` is not exported to namespace `{namespace}`"),
            origin.target,
            format!("needs consent of namespace `{owner}`"),
        )
        .with_secondary(
            self.tables.service_spans[id.0 as usize],
            "service declared here",
        );
        if let Some(decl) = self.decls.namespaces.get(owner) {
            d = d.with_secondary(decl.span, format!("namespace `{owner}` declared here"));
        }
        self.diagnostics.push(d.with_help(format!(
            "add `export {short} to {namespace};` in namespace `{owner}`"
        )));
    }
}
