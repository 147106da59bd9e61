//! Rename of a namespace, service, group or external across every file of the
//! workspace that names it. Refused, with a message for the editor, when the new name
//! is not a DNS-1123 label, when it is already taken where the symbol is visible, or
//! when the symbol is declared in the standard library; no edit ever lands in a
//! standard-library module.

use super::Analysis;
use crate::resolve::value_checks::is_dns_label;
use crate::source::{FileId, Span};

impl Analysis {
    /// The name that a rename at `offset` would change, if any.
    pub fn prepare_rename(&self, file: FileId, offset: u32) -> Result<Span, String> {
        let occurrence = self
            .index
            .occurrence_at(file, offset)
            .ok_or("there is no namespace, service, group or external name here")?;
        let symbol = &self.index.symbols[occurrence.symbol];
        if self.is_std(symbol.definition.file) {
            return Err(format!(
                "`{}` is declared in the standard library, which cannot be renamed",
                symbol.name
            ));
        }
        Ok(occurrence.span)
    }

    /// Every span to replace with `new_name` to rename the name at `offset`.
    pub fn rename(&self, file: FileId, offset: u32, new_name: &str) -> Result<Vec<Span>, String> {
        self.prepare_rename(file, offset)?;
        let Some(occurrence) = self.index.occurrence_at(file, offset) else {
            return Ok(Vec::new());
        };
        let symbol = &self.index.symbols[occurrence.symbol];
        if new_name == symbol.name {
            return Ok(Vec::new());
        }
        if !is_dns_label(new_name) {
            return Err(format!(
                "`{new_name}` is not a valid name: write a DNS-1123 label (lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters)"
            ));
        }
        if let Some(other) = self
            .index
            .taken(symbol.kind, symbol.scope.as_deref(), new_name)
        {
            let other = &self.index.symbols[other];
            let file = self
                .sources
                .try_get(other.definition.file)
                .map_or(String::new(), |f| {
                    let (line, _) = f.line_col(other.definition.start as usize);
                    format!(" ({}:{line})", f.name)
                });
            let place = match (&other.scope, other.kind) {
                (Some(ns), _) => format!("{ns}/{}", other.name),
                _ => other.name.clone(),
            };
            return Err(format!(
                "`{new_name}` is already taken by the {} `{place}`{file}",
                other.kind.as_str()
            ));
        }
        let mut spans = self.index.occurrences_of(occurrence.symbol);
        spans.retain(|s| !self.is_std(s.file));
        Ok(spans)
    }
}
