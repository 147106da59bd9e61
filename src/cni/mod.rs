//! Network-plugin profiles: which plugin will enforce the compiled policies
//! (`cni "NAME@VERSION";` in the program or `--cni NAME@VERSION`, the flag wins), what
//! it would ignore or drop (`checks`, codes E500–E505 and W500–W505), and how its
//! `ipBlock` reads pod IPs, for `verify` and `analyze`. The data is a table in the
//! binary (`profiles`), one source per entry; this module parses a choice and answers
//! questions about it. Pure: no I/O.

mod checks;
pub mod profiles;
mod table;

pub use checks::{MAX_EXPANDED_PORTS, annotate_host_network, apply};
pub use profiles::{ALIASES, Entry, Failure, Feature, IpBlockRule, PLUGINS, Plugin};
pub use table::table;

/// A plugin version: `MAJOR[.MINOR[.PATCH]]`, an optional leading `v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    /// `1.16`, `v3.19.0`, `2`; `None` for anything else (pre-release suffixes too).
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let mut parts = text.split('.');
        let mut next = |required: bool| -> Option<u32> {
            match parts.next() {
                Some(p)
                    if !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    p.parse().ok()
                }
                None if !required => Some(0),
                _ => None,
            }
        };
        let version = Version {
            major: next(true)?,
            minor: next(false)?,
            patch: next(false)?,
        };
        parts.next().is_none().then_some(version)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A chosen profile: a plugin and, when it is versioned, its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    pub plugin: &'static Plugin,
    pub version: Option<Version>,
}

impl PartialEq for Plugin {
    fn eq(&self, other: &Plugin) -> bool {
        self.name == other.name
    }
}
impl Eq for Plugin {}

/// Why a `NAME@VERSION` is not a profile: the message and a help line (did-you-mean
/// and the list of names or the oldest version covered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The name was unknown (`false`: the version was wrong).
    pub unknown_name: bool,
    pub message: String,
    pub help: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.message, self.help)
    }
}

/// The longest `NAME@VERSION` read (docs/limits.md).
pub const MAX_SPEC_LEN: usize = 64;

/// Every name a profile answers to (profiles, then aliases), for did-you-mean.
fn names() -> impl Iterator<Item = &'static str> {
    PLUGINS
        .iter()
        .map(|p| p.name)
        .chain(ALIASES.iter().map(|(a, _)| *a))
}

/// The plugin called `name` (or an alias of it).
pub fn plugin(name: &str) -> Option<&'static Plugin> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, real)| real);
    PLUGINS.iter().find(|p| p.name == name)
}

/// Parse `NAME@VERSION` (or `NAME` for a plugin without versions).
pub fn parse(spec: &str) -> Result<Profile, ParseError> {
    let list = || {
        let names: Vec<&str> = PLUGINS.iter().map(|p| p.name).collect();
        format!("known plugins: {} (`netpc cni list`)", names.join(", "))
    };
    if spec.len() > MAX_SPEC_LEN {
        return Err(ParseError {
            unknown_name: true,
            message: format!("a network plugin is named in at most {MAX_SPEC_LEN} characters"),
            help: list(),
        });
    }
    let (name, version) = match spec.split_once('@') {
        Some((name, version)) => (name.trim(), Some(version.trim())),
        None => (spec.trim(), None),
    };
    let Some(plugin) = plugin(name) else {
        let guess = crate::diagnostic::did_you_mean(name, names())
            .map(|g| format!("did you mean `{g}`? "))
            .unwrap_or_default();
        return Err(ParseError {
            unknown_name: true,
            message: format!("unknown network plugin `{name}`"),
            help: format!("{guess}{}", list()),
        });
    };
    let version_error = |message: String| ParseError {
        unknown_name: false,
        message,
        help: match plugin.versioned_by {
            Some(what) => format!(
                "write the {what} version the cluster runs, {} or newer: `{}@{}`",
                plugin.first, plugin.name, plugin.first
            ),
            None => format!(
                "`{}` takes no version: write `{}`",
                plugin.name, plugin.name
            ),
        },
    };
    match (plugin.versioned_by, version) {
        (None, None) => Ok(Profile {
            plugin,
            version: None,
        }),
        (None, Some(v)) => Err(version_error(format!(
            "`{}` takes no version (got `{v}`)",
            plugin.name
        ))),
        (Some(_), None) => Err(version_error(format!(
            "`{}` needs a version: its support differs by version",
            plugin.name
        ))),
        (Some(_), Some(text)) => match Version::parse(text) {
            None => Err(version_error(format!(
                "`{text}` is not a version of `{}` (MAJOR.MINOR[.PATCH])",
                plugin.name
            ))),
            Some(v) if v < plugin.first => Err(version_error(format!(
                "netpc has no profile for `{}` before {}",
                plugin.name, plugin.first
            ))),
            Some(v) => Ok(Profile {
                plugin,
                version: Some(v),
            }),
        },
    }
}

impl Profile {
    /// `calico@3.29.0`, `flannel`.
    pub fn display(&self) -> String {
        match self.version {
            Some(v) => format!("{}@{v}", self.plugin.name),
            None => self.plugin.name.to_owned(),
        }
    }

    /// The entry for `feature` when this version does not fully support it.
    pub fn gap(&self, feature: Feature) -> Option<&'static Entry> {
        self.plugin.entries.iter().find(|e| {
            e.feature == feature
                && match (e.since, self.version) {
                    (None, _) => true,
                    (Some(since), Some(version)) => version < since,
                    (Some(_), None) => false,
                }
        })
    }

    /// Whether an `ipBlock` matches pod IPs on this plugin.
    pub fn ipblock(&self) -> IpBlockRule {
        self.plugin.ipblock
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(Version::parse("1.16").unwrap().to_string(), "1.16.0");
        assert_eq!(Version::parse("v3.19.2").unwrap().to_string(), "3.19.2");
        assert_eq!(Version::parse("2").unwrap().to_string(), "2.0.0");
        for bad in ["", "1.", "1.2.3.4", "1.x", "v", "1.16-rc1", "99999999999"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert!(Version::parse("1.9").unwrap() < Version::parse("1.16").unwrap());
    }

    #[test]
    fn names_aliases_and_versions() {
        assert_eq!(parse("calico@3.29").unwrap().display(), "calico@3.29.0");
        assert_eq!(parse("canal@3.29").unwrap().plugin.name, "calico");
        assert_eq!(parse("flannel").unwrap().display(), "flannel");
        let e = parse("calco@3.29").unwrap_err();
        assert!(
            e.unknown_name && e.help.contains("did you mean `calico`"),
            "{e}"
        );
        assert!(e.help.contains("kube-router"), "{e}");
        let e = parse("calico").unwrap_err();
        assert!(!e.unknown_name && e.help.contains("calico@3.0.0"), "{e}");
        assert!(parse("calico@2.6").is_err());
        assert!(parse("flannel@0.25").is_err());
        assert!(parse(&"x".repeat(100)).is_err());
    }

    #[test]
    fn gaps_follow_the_version() {
        let old = parse("kube-router@1.2.9").unwrap();
        let new = parse("kube-router@1.3.0").unwrap();
        assert!(old.gap(Feature::EndPort).is_some());
        assert!(new.gap(Feature::EndPort).is_none());
        assert!(new.gap(Feature::Sctp).is_some());
        assert!(
            parse("kube-router@2.8.0")
                .unwrap()
                .gap(Feature::Sctp)
                .is_none()
        );
        assert!(
            parse("weave@2.8.1")
                .unwrap()
                .gap(Feature::NamedPorts)
                .is_some()
        );
    }

    #[test]
    fn every_entry_has_a_source_and_profiles_are_sorted() {
        let names: Vec<&str> = PLUGINS.iter().map(|p| p.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for p in PLUGINS {
            assert!(!p.ipblock_source.is_empty() && !p.host_network_source.is_empty());
            for e in p.entries {
                assert!(!e.source.is_empty() && !e.note.is_empty(), "{}", p.name);
            }
        }
        for (alias, real) in ALIASES {
            assert!(plugin(real).is_some() && plugin(alias).is_some());
        }
    }
}
