//! Assembling the checked [`Program`] from the declarations and the checked needs:
//! namespaces with their enforcement (the namespace's own setting, else the
//! program's, else on), services and externals in id order, and the needs sorted by
//! subject and target with repeats dropped (W006 for a need repeated in another
//! statement).

use super::declarations::{Declarations, ServiceDecl};
use super::ids::Tables;
use crate::ast::EnforcementMode;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, Enforcement, NamespaceId, Need, Program};
use crate::source::Span;

/// The last stage: it consumes the declarations, which nothing reads after it.
pub(super) fn assemble(
    mut decls: Declarations,
    tables: &Tables,
    mut needs: Vec<Need>,
    isolations: Vec<ir::Isolation>,
    diagnostics: &mut Diagnostics,
) -> Program {
    needs.sort_by(|a, b| {
        (a.subject, a.target, a.origin.statement).cmp(&(b.subject, b.target, b.origin.statement))
    });
    let needs = drop_duplicate_needs(needs, diagnostics);
    let program_enforcement = decls.enforcement;
    let namespaces = decls
        .namespaces
        .iter()
        .map(|(name, decl)| {
            let switch = |chosen: Option<(EnforcementMode, Span)>| ir::Switch {
                on: chosen.is_none_or(|(mode, _)| mode != EnforcementMode::Off),
                selected: chosen.is_some_and(|(mode, _)| mode == EnforcementMode::Selected),
                span: chosen.map(|(_, s)| s),
            };
            ir::Namespace {
                name: name.clone(),
                managed: decl.managed,
                set: decl.set.clone(),
                set_requirements: decl.set_requirements.clone(),
                enforcement: Enforcement {
                    ingress: switch(decl.enforcement.ingress.or(program_enforcement.ingress)),
                    egress: switch(decl.enforcement.egress.or(program_enforcement.egress)),
                },
                span: decl.span,
            }
        })
        .collect();
    let services = services(std::mem::take(&mut decls.services), tables);
    let externals = externals(&decls, tables);
    Program {
        namespaces,
        services,
        externals,
        needs,
        isolations,
        identity: decls.identity.map(|(s, _)| s).unwrap_or_default(),
        exempt: decls.exempt.unwrap_or_default(),
        guard: decls.guard.map(|(action, _)| action),
        cni: decls.cni,
        cluster: decls.cluster,
    }
}

/// Services in id order (declarations are in source order), moved out of their
/// declarations: at 50,000 services a copy of every selector and port list was about
/// 23 MB of the peak. A service without `select` gets its selector `app: NAME` here
/// (collect leaves it empty, so it is not alive beside the needs' syntax).
fn services(decls: Vec<ServiceDecl>, tables: &Tables) -> Vec<ir::Service> {
    let mut services: Vec<Option<ir::Service>> = (0..decls.len()).map(|_| None).collect();
    for (decl, mut service) in decls.into_iter().enumerate() {
        let id = tables.service_ids[decl];
        if !service.explicit_selector {
            service
                .selector
                .insert("app".to_owned(), service.name.node.clone());
        }
        services[id.0 as usize] = Some(ir::Service {
            namespace: tables
                .namespace_ids
                .get(&service.namespace)
                .copied()
                .unwrap_or(NamespaceId(0)),
            name: service.name.node,
            selector: service.selector,
            requirements: service.requirements,
            explicit_selector: service.explicit_selector,
            ports: service.ports,
            span: service.name.span,
        });
    }
    // `flatten` cannot tell how many it yields: without the reservation the vector
    // doubles, and the old copy is alive beside the new one at the peak.
    let mut ordered = Vec::with_capacity(services.len());
    ordered.extend(services.into_iter().flatten());
    ordered
}

/// Externals in id order.
fn externals(decls: &Declarations, tables: &Tables) -> Vec<ir::External> {
    let mut externals: Vec<Option<ir::External>> =
        (0..decls.externals.len()).map(|_| None).collect();
    for (decl, external) in decls.externals.iter().enumerate() {
        let id = tables.external_ids[decl];
        externals[id.0 as usize] = Some(ir::External {
            name: external.name.node.clone(),
            namespace: external
                .scope
                .as_ref()
                .and_then(|s| tables.namespace_ids.get(s).copied()),
            cidrs: external.cidrs.clone(),
            except: external.except.clone(),
            span: external.name.span,
        });
    }
    externals.into_iter().flatten().collect()
}

/// Keep the first of needs with the same subject, target and ports (W006 for a
/// repeat in another statement; a repeat inside one statement, through groups, is
/// silent). `needs` is sorted by subject and target, so repeats are neighbours. W006
/// is reported here, whatever else is wrong, because the IR keeps no repeat.
fn drop_duplicate_needs(mut needs: Vec<Need>, diagnostics: &mut Diagnostics) -> Vec<Need> {
    // In place: the needs kept so far are `needs[..kept]`, so the program's needs are
    // never held twice (at 150,000 needs a second vector was about 17 MB of the peak).
    let mut kept = 0;
    let mut group_start = 0;
    for next in 0..needs.len() {
        let need = &needs[next];
        if needs[..kept]
            .get(group_start)
            .is_none_or(|g| (g.subject, g.target) != (need.subject, need.target))
        {
            group_start = kept;
        }
        if let Some(first) = needs[group_start..kept]
            .iter()
            .find(|k| k.ports == need.ports)
        {
            if first.origin.statement != need.origin.statement {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateNeed,
                        "this need is already declared",
                        need.origin.target,
                        "declared again here",
                    )
                    .with_secondary(first.origin.statement, "first declared here")
                    .with_help("remove one of the two"),
                );
            }
            continue;
        }
        needs.swap(kept, next);
        kept += 1;
    }
    needs.truncate(kept);
    needs
}
