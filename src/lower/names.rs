//! Generated names: object names, client label keys, and their deterministic
//! shortening. Kubernetes limits an object name to 253 characters (DNS-1123 subdomain)
//! and the name part of a label key to 63; a longer name keeps a readable prefix and
//! ends with `-` and 8 hex digits of the SHA-256 of the full name. This module never
//! decides which names exist; `plan` does, and detects collisions.

use sha2::{Digest, Sha256};

use crate::ir::{Endpoint, NamespaceId, Program};

/// Longest object name (DNS-1123 subdomain).
pub const MAX_OBJECT_NAME: usize = 253;
/// Longest label key name part (label keys we generate have no prefix).
pub const MAX_LABEL_NAME: usize = 63;
const HASH_HEX: usize = 8;

/// `name` if it fits in `max` characters, else a readable prefix, `-`, and 8 hex digits
/// of the SHA-256 of `name`. The prefix never ends in `-` or `.`, so the result stays a
/// valid DNS-1123 subdomain and label name.
pub fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let digest = Sha256::digest(name.as_bytes());
    let mut keep = max.saturating_sub(HASH_HEX + 1);
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    let prefix = name[..keep].trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut out = String::with_capacity(max);
    out.push_str(prefix);
    out.push('-');
    for byte in digest.iter().take(HASH_HEX / 2) {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    out
}

/// How a target is named from a client namespace: `S` for a service of that namespace,
/// `N.S` for a service of namespace N, `E` for an external, `N.all-pods` for `N/*`.
pub fn target_name(program: &Program, client_ns: NamespaceId, target: Endpoint) -> String {
    match target {
        Endpoint::Service(id) => {
            let service = program.service(id);
            if service.namespace == client_ns {
                service.name.clone()
            } else {
                let ns = &program.namespace(service.namespace).name;
                format!("{ns}.{}", service.name)
            }
        }
        Endpoint::Namespace(id) => format!("{}.all-pods", program.namespace(id).name),
        Endpoint::External(id) => program.external(id).name.clone(),
        Endpoint::Anywhere => "anywhere".to_owned(),
    }
}

/// The client label key for a target name: `needs-T`, shortened to 63 characters.
pub fn client_label(target_name: &str) -> String {
    shorten(&format!("needs-{target_name}"), MAX_LABEL_NAME)
}

pub fn ingress_name(service: &str) -> String {
    format!("allow-ingress-{service}")
}

pub const INGRESS_ALL_PODS: &str = "allow-ingress-all-pods";

pub fn egress_to_name(target_name: &str) -> String {
    format!("allow-egress-to-{target_name}")
}

/// The egress of every pod of a namespace (`*` as subject) towards target `T`.
pub fn egress_all_pods_to_name(target_name: &str) -> String {
    format!("allow-egress-all-pods-to-{target_name}")
}

pub fn egress_from_name(service: &str) -> String {
    format!("allow-egress-from-{service}")
}

/// The policy of `isolate [DIRECTION] S;` (`all-pods` for `*`): it selects the pods
/// and allows nothing.
pub fn isolate_name(direction: crate::ir::Direction, pods: &str) -> String {
    format!("isolate-{}-{pods}", direction.as_lower())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(shorten("needs-api", 63), "needs-api");
        let exact = "a".repeat(63);
        assert_eq!(shorten(&exact, 63), exact);
    }

    #[test]
    fn long_names_get_a_prefix_and_a_hash() {
        let long = format!("needs-{}.{}", "n".repeat(40), "s".repeat(40));
        let short = shorten(&long, 63);
        assert_eq!(short.len(), 63);
        assert!(short.starts_with("needs-nnnn"));
        assert_eq!(short, shorten(&long, 63), "deterministic");
        let other = format!("needs-{}.{}", "n".repeat(40), "t".repeat(40));
        assert_ne!(short, shorten(&other, 63), "the hash tells them apart");
    }

    #[test]
    fn prefix_never_ends_in_a_separator() {
        // character 54 (the last kept) is a dot: it must be dropped.
        let long = format!("{}.{}", "a".repeat(53), "b".repeat(30));
        let short = shorten(&long, 63);
        assert!(!short.contains(".-"), "{short}");
        assert!(short.starts_with(&"a".repeat(53)));
        assert_eq!(short.len(), 62);
    }

    #[test]
    fn a_cut_inside_a_character_moves_back_to_its_start() {
        // Byte 54 (where the cut falls) is inside `é` (bytes 53..55): the prefix ends
        // before it, and the loop that finds the boundary ends.
        let long = format!("{}é{}", "a".repeat(53), "b".repeat(30));
        let short = shorten(&long, 63);
        assert!(
            short.starts_with(&format!("{}-", "a".repeat(53))),
            "{short}"
        );
        assert_eq!(short.len(), 62);
    }
}
