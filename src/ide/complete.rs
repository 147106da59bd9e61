//! Completion candidates at a position: after `use std/`, the standard-library
//! modules; after `N/`, the services of namespace N and `*`; elsewhere the keywords,
//! the names visible in the namespace the position stands in, and the namespaces.
//! Candidates start with the word already typed.

use super::Analysis;
use super::symbols::SymbolKind;
use crate::source::FileId;

/// Every keyword of `grammar/netp.pest` (a test checks the list against it).
pub const KEYWORDS: &[&str] = &[
    "cluster",
    "cni",
    "egress",
    "enforcement",
    "except",
    "exempt",
    "export",
    "external",
    "group",
    "guard",
    "identity",
    "in",
    "ingress",
    "isolate",
    "label",
    "labels",
    "namespace",
    "namespaces",
    "needs",
    "notin",
    "nodes",
    "off",
    "on",
    "pods",
    "port",
    "select",
    "selected",
    "selectors",
    "service",
    "std",
    "to",
    "use",
    "warn",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Module,
    Namespace,
    Service,
    Group,
    External,
}

/// One candidate: the text inserted and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl Analysis {
    /// The candidates at byte `offset` of `file`.
    pub fn completions(&self, file: FileId, offset: u32) -> Vec<Completion> {
        let Some(source) = self.sources.try_get(file) else {
            return Vec::new();
        };
        let mut offset = (offset as usize).min(source.text.len());
        while !source.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source.text[..offset];
        let word_start = before
            .char_indices()
            .rev()
            .take_while(|&(_, c)| name_char(c))
            .last()
            .map_or(offset, |(i, _)| i);
        let prefix = &before[word_start..];
        let head = &before[..word_start];
        let mut out = match head.strip_suffix('/') {
            Some(rest) => self.after_slash(rest),
            None => self.anywhere(file, offset),
        };
        out.retain(|c| c.label.starts_with(prefix));
        out
    }

    /// After `WORD/`: modules for `use std/`, else the services of namespace WORD.
    fn after_slash(&self, rest: &str) -> Vec<Completion> {
        let word: String = {
            let mut chars: Vec<char> = rest.chars().rev().take_while(|&c| name_char(c)).collect();
            chars.reverse();
            chars.into_iter().collect()
        };
        let before_word = &rest[..rest.len() - word.len()];
        if word == "std" && before_word.trim_end().ends_with("use") {
            return crate::stdlib::names()
                .map(|name| Completion {
                    label: name.to_owned(),
                    kind: CompletionKind::Module,
                    detail: format!("std/{name}"),
                })
                .collect();
        }
        let mut out: Vec<Completion> = self
            .index
            .services_of(&word)
            .into_iter()
            .map(|id| {
                let symbol = &self.index.symbols[id];
                Completion {
                    label: symbol.name.clone(),
                    kind: CompletionKind::Service,
                    detail: format!("service {word}/{}", symbol.name),
                }
            })
            .collect();
        out.push(Completion {
            label: "*".to_owned(),
            kind: CompletionKind::Namespace,
            detail: format!("every pod of namespace {word}"),
        });
        out
    }

    fn anywhere(&self, file: FileId, offset: usize) -> Vec<Completion> {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        let namespace = self.index.namespace_at(file, offset);
        let mut out: Vec<Completion> = KEYWORDS
            .iter()
            .map(|k| Completion {
                label: (*k).to_owned(),
                kind: CompletionKind::Keyword,
                detail: "keyword".to_owned(),
            })
            .collect();
        // The reserved reference, offered like a keyword (it is not a grammar keyword:
        // `anywhere` parses as a name and resolution gives it its meaning).
        out.push(Completion {
            label: "anywhere".to_owned(),
            kind: CompletionKind::Keyword,
            detail: "every pod of every namespace and every address".to_owned(),
        });
        for id in self.index.visible(namespace) {
            let symbol = &self.index.symbols[id];
            let kind = match symbol.kind {
                SymbolKind::Service => CompletionKind::Service,
                SymbolKind::Group => CompletionKind::Group,
                SymbolKind::External => CompletionKind::External,
                SymbolKind::Namespace => CompletionKind::Namespace,
            };
            let place = symbol
                .scope
                .as_ref()
                .map_or_else(|| symbol.name.clone(), |ns| format!("{ns}/{}", symbol.name));
            out.push(Completion {
                label: symbol.name.clone(),
                kind,
                detail: format!("{} {place}", symbol.kind.as_str()),
            });
        }
        for id in self.index.namespaces() {
            let name = &self.index.symbols[id].name;
            out.push(Completion {
                label: name.clone(),
                kind: CompletionKind::Namespace,
                detail: format!("namespace {name}"),
            });
        }
        out
    }
}
