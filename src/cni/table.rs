//! The profiles as text for `netpc cni list`: one line per plugin with how it reads
//! `ipBlock`, then each of its entries (feature, from which version, the failure mode
//! before it, the source). Generated from the table, so it cannot drift from it.

use super::{Failure, IpBlockRule, PLUGINS, Plugin};

/// The whole table.
pub fn table() -> String {
    let mut out = String::from(
        "Network-plugin profiles (cni \"NAME@VERSION\"; or --cni NAME@VERSION). Features not listed work on every version covered.\n",
    );
    for plugin in PLUGINS {
        out.push('\n');
        out.push_str(&plugin_text(plugin));
    }
    out
}

fn plugin_text(plugin: &Plugin) -> String {
    let usage = match plugin.versioned_by {
        Some(what) => format!(
            "{}@VERSION ({what} version, {} or newer)",
            plugin.name, plugin.first
        ),
        None => format!("{} (no version)", plugin.name),
    };
    let aliases: Vec<&str> = super::ALIASES
        .iter()
        .filter(|(_, real)| *real == plugin.name)
        .map(|(alias, _)| *alias)
        .collect();
    let mut out = format!("{}: {usage}", plugin.title);
    if !aliases.is_empty() {
        out.push_str(&format!("; also {}", aliases.join(", ")));
    }
    out.push('\n');
    let ipblock = match plugin.ipblock {
        IpBlockRule::MatchesPods => "matches pod IPs",
        IpBlockRule::NeverPods => "never matches pod IPs",
        IpBlockRule::Unknown => "pod IPs: unverified",
    };
    out.push_str(&format!(
        "  ipBlock: {ipblock} [{}]\n  hostNetwork pods: never isolated [{}]\n",
        plugin.ipblock_source, plugin.host_network_source
    ));
    for entry in plugin.entries {
        let when = match entry.since {
            Some(v) => format!("before {v}"),
            None => "every version".to_owned(),
        };
        let failure = match entry.failure {
            Failure::NotEnforced => "not enforced".to_owned(),
            Failure::PolicyDropped => "policy dropped (fail-open)".to_owned(),
            Failure::FieldIgnored => "field ignored".to_owned(),
            Failure::NeedsFlag(flag) => format!("needs `{flag}`"),
            Failure::Partial => "known gaps".to_owned(),
            Failure::Unverified => "unverified".to_owned(),
        };
        out.push_str(&format!(
            "  {}: {failure}, {when}: {} [{}]\n",
            entry.feature.name(),
            entry.note,
            entry.source
        ));
    }
    out.push_str(&format!("  note: {}\n", plugin.remarks));
    out
}
