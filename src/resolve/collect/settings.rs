//! Collecting the program-wide settings items (`exempt label`, `enforcement`) into
//! their slots, and the check that `guard labels` has labels to guard (E217): the
//! part of `collect` that records settings rather than names.

use super::*;

impl Collector<'_> {
    pub(super) fn collect_exempt(
        &mut self,
        span: Span,
        key: &Spanned<String>,
        value: Option<&Spanned<String>>,
        context: &Context,
    ) {
        if context.namespace.is_some() || context.is_module {
            self.setting_not_here(span, "`exempt label`", "the exempt label is program-wide: write it outside every namespace, in a file of the program (not a module)");
            return;
        }
        if let Some(first) = self.decls.exempt.as_ref().and_then(|e| e.span) {
            self.setting_twice(span, "`exempt label`", first);
            return;
        }
        let key_ok = value_checks::check_label_key(key)
            .map_err(|d| self.diagnostics.push(d))
            .is_ok();
        let value_ok = value.is_none_or(|v| {
            value_checks::check_label_value(v)
                .map_err(|d| self.diagnostics.push(d))
                .is_ok()
        });
        if key_ok && value_ok {
            self.decls.exempt = Some(ir::ExemptLabel {
                key: key.node.clone(),
                value: value.map_or_else(|| "true".to_owned(), |v| v.node.clone()),
                span: Some(span),
            });
        }
    }

    pub(super) fn collect_enforcement(
        &mut self,
        span: Span,
        direction: Option<crate::ast::Direction>,
        mode: &Spanned<crate::ast::EnforcementMode>,
        context: &Context,
    ) {
        use crate::ast::Direction;
        if context.external || context.is_module {
            self.setting_not_here(span, "`enforcement`", "enforcement is set for the whole program or for one managed namespace, in a file of the program");
            return;
        }
        let slot = match &context.namespace {
            None => &mut self.decls.enforcement,
            Some(ns) => match self.decls.namespaces.get_mut(ns) {
                Some(decl) => &mut decl.enforcement,
                None => return,
            },
        };
        let mut slots = Vec::with_capacity(2);
        if direction != Some(Direction::Egress) {
            slots.push(&mut slot.ingress);
        }
        if direction != Some(Direction::Ingress) {
            slots.push(&mut slot.egress);
        }
        // A direction set twice in one scope is E212, reported once per item.
        if let Some(first) = slots.iter().find_map(|s| s.map(|(_, first)| first)) {
            self.setting_twice(span, "`enforcement`", first);
            return;
        }
        for s in slots {
            *s = Some((mode.node, span));
        }
    }
}

/// `guard labels;` guards the `needs-*` labels: with `identity selectors;` there are
/// none (E217).
pub(in crate::resolve) fn check_guard(decls: &Declarations, diagnostics: &mut Diagnostics) {
    let (Some((_, guard)), Some((IdentityStyle::Selectors, identity))) =
        (decls.guard, decls.identity)
    else {
        return;
    };
    diagnostics.push(
        Diagnostic::new(
            Code::GuardWithoutLabels,
            "`guard labels` guards the `needs-*` labels, but this program has none",
            guard,
            "nothing to guard",
        )
        .with_secondary(
            identity,
            "clients are recognised by their own selectors here",
        )
        .with_help("remove `guard labels;`, or use `identity labels;`"),
    );
}
