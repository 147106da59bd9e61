//! [`Labels`]: the label pairs of a selector (a service's `select`, or its default
//! `app: NAME`; a namespace set's `select`), as a vector sorted by key.
//!
//! A selector has one pair in nearly every program, and there is one per service: a
//! `BTreeMap` allocates a node with room for eleven pairs for the first one (544
//! bytes, 27 MB at 50,000 services, alive from assembly to the last byte written),
//! where this holds exactly the pairs written. It reads like the map it replaces:
//! the same order (by key), the same `get`, `iter`, `keys`, `insert`, the same
//! `Debug` text and the same serialized form (a mapping, keys in order), so nothing
//! that prints or emits a selector changed with it.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Label pairs, each key once, sorted by key.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels {
    pairs: Vec<(String, String)>,
}

/// Up to this many pairs, room is made for one pair at a time (a selector's pairs are
/// a few; each then holds no spare room). Past it, the vector grows by doubling, so a
/// hostile `select` with thousands of pairs still takes linear time.
const EXACT_GROWTH: usize = 8;

impl Labels {
    pub fn new() -> Self {
        Labels::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.pairs.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`, if it is one of the pairs.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.position(key).ok().map(|i| &self.pairs[i].1)
    }

    /// Set `key` to `value`; the value it had before, if any (as `BTreeMap::insert`).
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.pairs[i].1, value)),
            Err(i) => {
                if self.pairs.len() < EXACT_GROWTH {
                    self.pairs.reserve_exact(1);
                }
                self.pairs.insert(i, (key, value));
                None
            }
        }
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &String)> + ExactSizeIterator {
        self.pairs.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.pairs.iter().map(|(k, _)| k)
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The same pairs as a map (for labels that other labels are added to).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.pairs.iter().cloned().collect()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.pairs.iter().map(|(k, v)| (k, v))
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Self {
        // A map's pairs are already unique and in key order.
        Labels {
            pairs: map.into_iter().collect(),
        }
    }
}

/// As a map prints: `{"app": "api"}`.
impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A mapping, keys in order, as a `BTreeMap` serializes.
impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.pairs.len()))?;
        for (k, v) in &self.pairs {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Inserted in any order, with a key written twice, it holds what a `BTreeMap`
    /// given the same inserts holds, in the same order, and answers `get` and
    /// `insert` the same way.
    #[test]
    fn reads_like_the_map_given_the_same_inserts() {
        let inserts = [
            ("tier", "web"),
            ("app", "api"),
            ("zone", "a"),
            ("app", "api-2"),
            ("b", "1"),
            ("tier", "db"),
        ];
        let mut labels = Labels::new();
        let mut expected = BTreeMap::new();
        for (k, v) in inserts {
            let ours = labels.insert(k.to_owned(), v.to_owned());
            let theirs = expected.insert(k.to_owned(), v.to_owned());
            assert_eq!(ours, theirs, "insert {k}={v}");
        }
        let ours: Vec<_> = labels.iter().collect();
        let theirs: Vec<_> = expected.iter().collect();
        assert_eq!(ours, theirs);
        assert_eq!(labels.len(), expected.len());
        assert_eq!(labels.to_map(), expected);
        for key in ["app", "b", "tier", "zone", "a", "c", "zz", ""] {
            assert_eq!(labels.get(key), expected.get(key), "get {key}");
        }
        assert_eq!(Labels::from(expected.clone()), labels);
        assert_eq!(
            labels.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        );
    }

    /// A selector's pairs take no spare room; a large one still grows by doubling.
    #[test]
    fn holds_no_spare_room_for_a_few_pairs() {
        let mut labels = Labels::new();
        for i in 0..EXACT_GROWTH {
            labels.insert(format!("k{i}"), String::new());
            assert_eq!(labels.pairs.capacity(), i + 1);
        }
        for i in EXACT_GROWTH..100 {
            labels.insert(format!("k{i}"), String::new());
        }
        assert!(labels.pairs.capacity() >= 100);
        assert!(labels.pairs.capacity() < 100 * 2 + EXACT_GROWTH);
    }

    /// It prints and serializes exactly as the map does.
    #[test]
    fn prints_and_serializes_as_the_map() {
        let expected = map(&[("tier", "web"), ("app", "api: \"x\"")]);
        let labels = Labels::from(expected.clone());
        assert_eq!(format!("{labels:?}"), format!("{expected:?}"));
        assert_eq!(format!("{labels:#?}"), format!("{expected:#?}"));
        assert_eq!(
            serde_json::to_string(&labels).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
        assert_eq!(
            serde_yaml::to_string(&labels).unwrap(),
            serde_yaml::to_string(&expected).unwrap()
        );
        assert_eq!(format!("{:?}", Labels::new()), "{}");
    }
}
