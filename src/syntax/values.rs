//! Values inside items: references, targets, port specs, label pairs and strings, one
//! `build_<rule>` function per grammar rule. Must never check a value's range or
//! shape (ports, protocols, label syntax are `resolve`'s job); the only diagnostic
//! raised here is E102 for a string without its closing quote.

use pest::iterators::Pair;

use super::ast_build::{Builder, children};
use super::grammar::Rule;
use crate::ast::{self, PortNumbers, PortSpec, Reference, ReferenceKind, Spanned, Target};
use crate::diagnostic::{Code, Diagnostic};

impl Builder<'_> {
    /// E102 for the string whose `"` is at `quote` and whose text runs to `end`.
    pub fn report_unterminated(&mut self, quote: usize, end: usize) {
        let text = self.text.get(quote + 1..end).unwrap_or("");
        let content = text
            .split(['\n', '\r', ';'])
            .next()
            .unwrap_or("")
            .trim_end();
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnterminatedString,
                "unterminated string",
                self.span_at(quote, quote + 1),
                "this `\"` is never closed",
            )
            .with_help(format!(
                "add the closing quote: `\"{content}\"`; a string ends on the line it starts"
            )),
        );
    }

    /// `reference = ${ name ~ (slash ~ (star | service_name))? | star }`
    pub fn build_reference(&mut self, pair: Pair<'_, Rule>) -> Option<Reference> {
        let span = self.span(&pair);
        let mut parts = children(pair);
        let first = parts.next()?;
        let kind = match (first.as_rule(), parts.next()) {
            (Rule::star, _) => ReferenceKind::All,
            (_, None) => ReferenceKind::Name(self.build_ident(&first)),
            (_, Some(second)) if second.as_rule() == Rule::star => {
                ReferenceKind::NamespaceAll(self.build_ident(&first))
            }
            (_, Some(second)) => ReferenceKind::Qualified {
                namespace: self.build_ident(&first),
                name: self.build_ident(&second),
            },
        };
        Some(Reference { kind, span })
    }

    /// `target = ${ reference ~ (colon ~ port_set)? }`
    pub fn build_target(&mut self, pair: Pair<'_, Rule>) -> Option<Target> {
        let span = self.span(&pair);
        let mut parts = children(pair);
        let reference = self.build_reference(parts.next()?)?;
        let ports = parts.next().map(|set| self.build_port_set(set));
        Some(Target {
            reference,
            ports,
            span,
        })
    }

    /// `port_set = { lbrace ~ port_spec ~ (comma ~ port_spec)* ~ comma? ~ rbrace | port_spec }`
    pub fn build_port_set(&mut self, pair: Pair<'_, Rule>) -> Vec<PortSpec> {
        children(pair).map(|p| self.build_port_spec(p)).collect()
    }

    /// `port_spec = { (port_name ~ port_numbers? | port_numbers) ~ protocol? }`
    pub fn build_port_spec(&mut self, pair: Pair<'_, Rule>) -> PortSpec {
        let span = self.span(&pair);
        let mut spec = PortSpec {
            name: None,
            numbers: None,
            protocol: None,
            span,
        };
        for part in children(pair) {
            match part.as_rule() {
                Rule::port_name => spec.name = Some(Box::new(self.build_ident(&part))),
                Rule::port_numbers => spec.numbers = self.build_port_numbers(part),
                Rule::protocol => spec.protocol = self.build_protocol(part).map(Box::new),
                _ => {}
            }
        }
        spec
    }

    /// `port_numbers = { number ~ (dash ~ number)? }`
    pub fn build_port_numbers(&mut self, pair: Pair<'_, Rule>) -> Option<PortNumbers> {
        let mut numbers = children(pair).map(|p| self.build_number(&p));
        let first = numbers.next()?;
        Some(PortNumbers {
            first,
            last: numbers.next().map(Box::new),
        })
    }

    /// `number`: decimal digits, saturating at `u64::MAX`.
    pub fn build_number(&self, pair: &Pair<'_, Rule>) -> Spanned<u64> {
        let value = pair.as_str().bytes().fold(0u64, |n, digit| {
            n.saturating_mul(10)
                .saturating_add(u64::from(digit.wrapping_sub(b'0')))
        });
        Spanned::new(value, self.span(pair))
    }

    /// `protocol = { slash ~ protocol_name }`: the word as written.
    pub fn build_protocol(&mut self, pair: Pair<'_, Rule>) -> Option<Spanned<String>> {
        children(pair).next().map(|name| self.build_ident(&name))
    }

    /// `label_pair = { label_key ~ equals ~ label_value }`
    pub fn build_label_pair(&mut self, pair: Pair<'_, Rule>) -> Option<ast::LabelPair> {
        let mut parts = children(pair);
        let key = self.build_ident(&parts.next()?);
        let value = self.build_label_value(parts.next()?);
        Some(ast::LabelPair { key, value })
    }

    /// `label_value = { string | bare_value }`: quotes removed.
    pub fn build_label_value(&mut self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let span = self.span(&pair);
        match children(pair).next() {
            Some(value) if value.as_rule() == Rule::string => self.build_string(value),
            Some(value) => self.build_ident(&value),
            None => Spanned::new(String::new(), span),
        }
    }

    /// `string = ${ "\"" ~ string_text ~ "\"" | unterminated_string }`: the text
    /// between the quotes; the span covers the quotes. An unterminated string is
    /// reported (E102) and read up to the end of its line or the next `;`.
    pub fn build_string(&mut self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Spanned::new(String::new(), span);
        };
        if inner.as_rule() == Rule::unterminated_string {
            let text = inner.as_str();
            let content = text.strip_prefix('"').unwrap_or(text).trim_end();
            let (start, end) = (self.start(&inner), self.end(&inner));
            self.report_unterminated(start, end);
            return Spanned::new(content.to_owned(), span);
        }
        Spanned::new(inner.as_str().to_owned(), span)
    }
}
