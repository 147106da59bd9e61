//! Items: one `build_<rule>` function per item rule of the grammar, turning pest pairs
//! into [`ast::Item`]s. Broken regions (`bad_item`, `bad_service_line`,
//! `stray_close`) are handed to `explain`. Must never judge values or names: what the
//! grammar accepted is kept as written.

use pest::iterators::Pair;

use super::grammar::Rule;
use crate::ast::{self, Item, ItemKind, ServiceItem};
use crate::diagnostic::Diagnostics;
use crate::source::{FileId, Span};

/// State shared by every builder: where spans point and where diagnostics go.
pub(crate) struct Builder<'a> {
    pub file: FileId,
    /// Length of the real source: spans are clamped to it (the pre-scan may have
    /// appended `}` that the user never wrote).
    pub source_len: usize,
    /// The text pest parsed (the pre-scanned source).
    pub text: &'a str,
    pub diagnostics: &'a mut Diagnostics,
    /// Syntax errors reported so far in this file, to stop a flood on binary input.
    pub errors: usize,
    /// Where in `text` the slice being built starts: pest positions are relative to it.
    pub offset: usize,
    /// Whether the service body being built is closed only by a `}` the pre-scan
    /// appended: items inside it are then a symptom of the missing `}` (E101), not
    /// misplaced items (E105).
    pub in_unclosed_service: bool,
    /// The first item found inside such a body: where the missing `}` probably belongs.
    pub missing_close_before: Option<Span>,
}

/// Punctuation and keywords carry no information once the rule matched.
fn is_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::semi
            | Rule::comma
            | Rule::lbrace
            | Rule::rbrace
            | Rule::colon
            | Rule::slash
            | Rule::equals
            | Rule::dash
            | Rule::kw_namespace
            | Rule::kw_namespaces
            | Rule::kw_in
            | Rule::kw_notin
            | Rule::lparen
            | Rule::rparen
            | Rule::bang
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
            | Rule::kw_identity
            | Rule::kw_guard
            | Rule::kw_cni
            | Rule::kw_cluster
            | Rule::EOI
    )
}

/// The meaningful children of a pair (punctuation and keywords dropped).
pub(crate) fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_token(p.as_rule()))
}

impl Builder<'_> {
    /// The span of a pair, clamped to the real source.
    pub fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        self.span_at(self.start(pair), self.end(pair))
    }

    /// Where a pair starts in the text (not in the slice).
    pub fn start(&self, pair: &Pair<'_, Rule>) -> usize {
        self.offset + pair.as_span().start()
    }

    /// Where a pair ends in the text (not in the slice).
    pub fn end(&self, pair: &Pair<'_, Rule>) -> usize {
        self.offset + pair.as_span().end()
    }

    pub fn span_at(&self, start: usize, end: usize) -> Span {
        Span::new(
            self.file,
            start.min(self.source_len),
            end.min(self.source_len),
        )
    }

    /// A name-like rule (`namespace_name`, `service_name`, ...) as an identifier.
    pub fn build_ident(&self, pair: &Pair<'_, Rule>) -> ast::Ident {
        ast::Spanned::new(pair.as_str().to_owned(), self.span(pair))
    }

    /// `file = { SOI ~ byte_order_mark? ~ (item | stray_close)* ~ EOI }`, for one
    /// slice of the text starting at `offset`.
    pub fn build_slice(&mut self, pair: Pair<'_, Rule>, offset: usize) -> Vec<Item> {
        self.offset = offset;
        self.build_items(pair)
    }

    /// The items among the children of a file or namespace body.
    fn build_items(&mut self, pair: Pair<'_, Rule>) -> Vec<Item> {
        let mut items = Vec::new();
        for child in children(pair) {
            match child.as_rule() {
                Rule::bad_item => self.explain_bad_item(&child),
                Rule::stray_close => self.explain_stray_close(&child),
                _ => items.extend(self.build_item(child)),
            }
        }
        items
    }

    /// One well-formed item.
    fn build_item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::namespace_item => self.build_namespace_item(pair),
            Rule::external_namespace_item => self.build_external_namespace_item(pair),
            Rule::namespace_set_item => self.build_namespace_set_item(pair),
            Rule::service_item => self.build_service_item(pair),
            Rule::group_item => self.build_group_item(pair),
            Rule::external_item => self.build_external_item(pair),
            Rule::needs_item => self.build_needs_item(pair),
            Rule::export_item => self.build_export_item(pair),
            Rule::use_item => self.build_use_item(pair),
            Rule::exempt_item => self.build_exempt_item(pair),
            Rule::enforcement_item => self.build_enforcement_item(pair),
            Rule::isolate_item => self.build_isolate_item(pair),
            Rule::identity_item => self.build_identity_item(pair),
            Rule::guard_item => self.build_guard_item(pair),
            Rule::cni_item => self.build_cni_item(pair),
            Rule::cluster_item => self.build_cluster_item(pair),
            _ => return None,
        }?;
        Some(Item { kind, span })
    }

    /// `namespace N;` or `namespace N { ... }`
    fn build_namespace_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair);
        let name = self.build_ident(&parts.next()?);
        Some(match parts.next() {
            Some(body) => ItemKind::NamespaceBlock {
                name,
                external: false,
                items: self.build_namespace_body(body),
            },
            None => ItemKind::NamespaceDecl { name },
        })
    }

    /// `external namespace N { ... }`
    fn build_external_namespace_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair);
        let name = self.build_ident(&parts.next()?);
        let items = self.build_namespace_body(parts.next()?);
        Some(ItemKind::NamespaceBlock {
            name,
            external: true,
            items,
        })
    }

    /// `namespaces N { (set_select | item)* }`
    fn build_namespace_set_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair);
        let name = self.build_ident(&parts.next()?);
        let body = parts.next()?;
        let mut selects = Vec::new();
        let mut items = Vec::new();
        for child in children(body) {
            match child.as_rule() {
                Rule::set_select => {
                    let span = self.span(&child);
                    let every = child
                        .clone()
                        .into_inner()
                        .any(|p| p.as_rule() == Rule::star);
                    let (pairs, requirements) = self.build_select_terms(child);
                    selects.push(ast::SetSelect {
                        every,
                        pairs,
                        requirements,
                        span,
                    });
                }
                Rule::bad_item => self.explain_bad_item(&child),
                Rule::stray_close => self.explain_stray_close(&child),
                _ => items.extend(self.build_item(child)),
            }
        }
        Some(ItemKind::NamespaceSet {
            name,
            selects,
            items,
        })
    }

    /// `{ item* }`
    fn build_namespace_body(&mut self, pair: Pair<'_, Rule>) -> Vec<Item> {
        self.build_items(pair)
    }

    /// `service S;` or `service S { ... }`
    fn build_service_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair);
        let name = self.build_ident(&parts.next()?);
        let body = match parts.next() {
            Some(body) => self.build_service_body(body),
            None => Vec::new(),
        };
        Some(ItemKind::Service { name, body })
    }

    /// `{ (select_line | port_line)* }`
    fn build_service_body(&mut self, pair: Pair<'_, Rule>) -> Vec<ServiceItem> {
        self.in_unclosed_service = self.end(&pair) > self.source_len;
        let mut lines = Vec::new();
        for child in children(pair) {
            match child.as_rule() {
                Rule::select_line => {
                    let span = self.span(&child);
                    let (pairs, requirements) = self.build_select_terms(child);
                    lines.push(ServiceItem::Select(pairs, span));
                    if !requirements.is_empty() {
                        lines.push(ServiceItem::Requirements(requirements, span));
                    }
                }
                Rule::port_line => lines.push(self.build_port_line(child)),
                Rule::bad_service_line => self.explain_bad_service_line(&child),
                _ => {}
            }
        }
        lines
    }

    /// The terms of `select ...;`: the `k = v` pairs, and the set-based terms.
    fn build_select_terms(
        &mut self,
        pair: Pair<'_, Rule>,
    ) -> (Vec<ast::LabelPair>, Vec<ast::Requirement>) {
        let mut pairs = Vec::new();
        let mut requirements = Vec::new();
        for term in children(pair) {
            let op = match term.as_rule() {
                Rule::label_pair => {
                    pairs.extend(self.build_label_pair(term));
                    continue;
                }
                Rule::label_in => ast::RequirementOp::In,
                Rule::label_notin => ast::RequirementOp::NotIn,
                Rule::label_exists => ast::RequirementOp::Exists,
                Rule::label_absent => ast::RequirementOp::DoesNotExist,
                _ => continue,
            };
            let span = self.span(&term);
            let mut parts = children(term);
            let Some(key) = parts.next() else { continue };
            let key = self.build_ident(&key);
            let values = parts
                .next()
                .map(|list| children(list).map(|v| self.build_label_value(v)).collect())
                .unwrap_or_default();
            requirements.push(ast::Requirement {
                key,
                op,
                values,
                span,
            });
        }
        (pairs, requirements)
    }

    /// `port P, ...;`
    fn build_port_line(&mut self, pair: Pair<'_, Rule>) -> ServiceItem {
        let span = self.span(&pair);
        let ports = children(pair).map(|p| self.build_port_spec(p)).collect();
        ServiceItem::Port(ports, span)
    }

    /// `group G = R1, R2;`
    fn build_group_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair);
        let name = self.build_ident(&parts.next()?);
        let members = parts.filter_map(|p| self.build_reference(p)).collect();
        Some(ItemKind::Group { name, members })
    }

    /// `external E = CIDR, ... [except CIDR, ...];`
    fn build_external_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair);
        let name = self.build_ident(&parts.next()?);
        let cidrs = self.build_cidr_list(parts.next()?);
        let except = match parts.next() {
            Some(clause) => self.build_except_clause(clause),
            None => Vec::new(),
        };
        Some(ItemKind::External {
            name,
            cidrs,
            except,
        })
    }

    /// `CIDR, ...`
    fn build_cidr_list(&mut self, pair: Pair<'_, Rule>) -> Vec<ast::Spanned<String>> {
        children(pair).map(|p| self.build_ident(&p)).collect()
    }

    /// `except CIDR, ...`
    fn build_except_clause(&mut self, pair: Pair<'_, Rule>) -> Vec<ast::Spanned<String>> {
        children(pair)
            .next()
            .map(|list| self.build_cidr_list(list))
            .unwrap_or_default()
    }

    /// `A, B needs T, U:PORTS;`
    fn build_needs_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut subjects = Vec::new();
        let mut targets = Vec::new();
        for part in children(pair) {
            match part.as_rule() {
                Rule::reference => subjects.extend(self.build_reference(part)),
                Rule::target => targets.extend(self.build_target(part)),
                _ => {}
            }
        }
        Some(ItemKind::Needs { subjects, targets })
    }

    /// `export S, ... to N1, N2;` or `export S to *;`
    fn build_export_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut services = Vec::new();
        let mut to = None;
        for part in children(pair) {
            match part.as_rule() {
                Rule::service_name => services.push(self.build_ident(&part)),
                Rule::export_to => to = Some(self.build_export_to(part)),
                _ => {}
            }
        }
        Some(ItemKind::Export { services, to: to? })
    }

    /// `*` or `N1, N2`
    fn build_export_to(&mut self, pair: Pair<'_, Rule>) -> ast::ExportTo {
        let span = self.span(&pair);
        let names: Vec<_> = children(pair)
            .filter(|p| p.as_rule() == Rule::namespace_name)
            .map(|p| self.build_ident(&p))
            .collect();
        if names.is_empty() {
            ast::ExportTo::Everyone(span)
        } else {
            ast::ExportTo::Namespaces(names)
        }
    }

    /// `use std/NAME;` or `use "path.netp";`
    fn build_use_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let target = children(pair).next()?;
        Some(ItemKind::Use(match target.as_rule() {
            Rule::std_module => ast::UseTarget::Std(self.build_std_module(target)?),
            _ => ast::UseTarget::Path(self.build_string(target)),
        }))
    }

    /// `std/NAME`
    fn build_std_module(&mut self, pair: Pair<'_, Rule>) -> Option<ast::Ident> {
        let name = children(pair).next()?;
        Some(self.build_ident(&name))
    }

    /// `exempt label KEY [= VALUE];`
    fn build_exempt_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair);
        let key = self.build_ident(&parts.next()?);
        let value = parts.next().map(|v| self.build_label_value(v));
        Some(ItemKind::ExemptLabel { key, value })
    }

    /// `enforcement [ingress | egress] on;` or `... off;`
    fn build_enforcement_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut parts = children(pair).peekable();
        let direction = match parts.peek().map(Pair::as_rule) {
            Some(Rule::kw_ingress) => Some(ast::Direction::Ingress),
            Some(Rule::kw_egress) => Some(ast::Direction::Egress),
            _ => None,
        };
        let direction = match direction {
            Some(d) => Some(ast::Spanned::new(d, self.span(&parts.next()?))),
            None => None,
        };
        let value = parts.next()?;
        let mode = match value.as_rule() {
            Rule::kw_on => ast::EnforcementMode::On,
            Rule::kw_off => ast::EnforcementMode::Off,
            _ => ast::EnforcementMode::Selected,
        };
        Some(ItemKind::Enforcement {
            direction,
            mode: ast::Spanned::new(mode, self.span(&value)),
        })
    }

    /// `isolate [ingress | egress] R, ...;`
    fn build_isolate_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut direction = None;
        let mut members = Vec::new();
        for part in children(pair) {
            match part.as_rule() {
                Rule::kw_ingress => {
                    direction = Some(ast::Spanned::new(ast::Direction::Ingress, self.span(&part)));
                }
                Rule::kw_egress => {
                    direction = Some(ast::Spanned::new(ast::Direction::Egress, self.span(&part)));
                }
                Rule::reference => members.push(self.build_reference(part)?),
                _ => {}
            }
        }
        Some(ItemKind::Isolate { direction, members })
    }

    /// `guard labels;` or `guard labels warn;`
    fn build_guard_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let span = self.span(&pair);
        let warn = children(pair).any(|p| p.as_rule() == Rule::kw_warn);
        let action = if warn {
            ast::GuardAction::Warn
        } else {
            ast::GuardAction::Deny
        };
        Some(ItemKind::Guard(ast::Spanned::new(action, span)))
    }

    /// `identity labels;` or `identity selectors;`
    fn build_identity_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let value = children(pair).next()?;
        let style = if value.as_rule() == Rule::kw_selectors {
            ast::IdentityStyle::Selectors
        } else {
            ast::IdentityStyle::Labels
        };
        Some(ItemKind::Identity(ast::Spanned::new(
            style,
            self.span(&value),
        )))
    }

    /// `cni "NAME@VERSION";`
    fn build_cni_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let string = children(pair).next()?;
        Some(ItemKind::Cni(self.build_string(string)))
    }

    /// `cluster { pods CIDR, ...; nodes CIDR, ...; }`
    fn build_cluster_item(&mut self, pair: Pair<'_, Rule>) -> Option<ItemKind> {
        let mut lines = Vec::new();
        for line in children(pair).filter(|p| p.as_rule() == Rule::cluster_line) {
            let mut parts = line.into_inner();
            let keyword = parts.next()?;
            let kind = if keyword.as_rule() == Rule::kw_pods {
                ast::ClusterNetwork::Pods
            } else {
                ast::ClusterNetwork::Nodes
            };
            let kind = ast::Spanned::new(kind, self.span(&keyword));
            let cidrs = parts
                .find(|p| p.as_rule() == Rule::cidr_list)
                .map(|list| self.build_cidr_list(list))
                .unwrap_or_default();
            lines.push(ast::ClusterLine { kind, cidrs });
        }
        Some(ItemKind::Cluster(lines))
    }
}
