//! The writer's tests by serde data type: every kind of value and key it writes, read
//! back through serde_yaml, and every kind it refuses, with the message it gives.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::to_string;

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Alpha,
}

#[derive(Serialize)]
struct Fields {
    wide: i64,
    absent: Option<u8>,
    present: Option<u8>,
}

/// Keys of every scalar kind are written as their text (quoted where a reader
/// would take it for a number), and values of every width and an absent value are
/// written plain. netpc's manifests only have string keys and skip absent fields,
/// so these are the only tests that reach the rest of the writer.
#[test]
fn keys_and_values_of_every_scalar_kind() {
    let port_key = BTreeMap::from([(8080u16, "http")]);
    assert_eq!(to_string(&port_key).unwrap(), "'8080': http\n");
    assert_eq!(
        to_string(&BTreeMap::from([(-1i8, "x")])).unwrap(),
        "'-1': x\n"
    );
    assert_eq!(
        to_string(&BTreeMap::from([(Some("k"), 1)])).unwrap(),
        "k: 1\n"
    );
    assert_eq!(
        to_string(&BTreeMap::from([(Key::Alpha, 1)])).unwrap(),
        "Alpha: 1\n"
    );
    let fields = Fields {
        wide: -9_000_000_000,
        absent: None,
        present: Some(7),
    };
    assert_eq!(
        to_string(&fields).unwrap(),
        "wide: -9000000000\nabsent: null\npresent: 7\n"
    );
}

#[derive(Serialize)]
struct UnitStruct;
#[derive(Serialize)]
struct Newtype(u16);
#[derive(Serialize)]
struct Pair(i32, &'static str);
#[derive(Serialize)]
struct NoFields {}
#[derive(Serialize)]
struct NoTupleFields();
#[derive(Serialize)]
enum Variant {
    Plain,
    Newtype(u8),
    Tuple(u8, u8),
    Struct { a: u8 },
}

/// A value serde writes with `serialize_bytes` (a `&[u8]` is a sequence).
struct Bytes;
impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b"x")
    }
}

/// A one-entry mapping whose key is `.0`, of any type.
struct KeyOf<K>(K);
impl<K: Serialize> Serialize for KeyOf<K> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(&self.0, &1)?;
        map.end()
    }
}

#[derive(Serialize)]
struct EveryKind {
    yes: bool,
    no: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    char: char,
    text: &'static str,
    control: &'static str,
    astral: &'static str,
    unit: (),
    unit_struct: UnitStruct,
    variant: Variant,
    newtype: Newtype,
    none: Option<u8>,
    some: Option<&'static str>,
    seq: Vec<u8>,
    empty_seq: Vec<u8>,
    tuple: (u8, &'static str),
    empty_tuple: [u8; 0],
    tuple_struct: Pair,
    empty_tuple_struct: NoTupleFields,
    no_fields: NoFields,
    map: BTreeMap<&'static str, u8>,
    empty_map: BTreeMap<&'static str, u8>,
    nested: Vec<BTreeMap<&'static str, Vec<Pair>>>,
}

/// Every serde data type the writer supports, as a value, reads back through an
/// independent YAML reader (serde_yaml) as exactly the value serde_yaml makes of
/// it, and the layout is locked: the writer's own tests are the only place where
/// most of these kinds are ever written.
#[test]
fn every_kind_of_value_reads_back_as_written() {
    let value = EveryKind {
        yes: true,
        no: false,
        i8: i8::MIN,
        i16: i16::MIN,
        i32: i32::MIN,
        i64: i64::MIN,
        u8: u8::MAX,
        u16: u16::MAX,
        u32: u32::MAX,
        u64: u64::MAX,
        char: 'é',
        text: "it's",
        control: "a\tb\"c\\",
        astral: "🦀",
        unit: (),
        unit_struct: UnitStruct,
        variant: Variant::Plain,
        newtype: Newtype(443),
        none: None,
        some: Some("yes"),
        seq: vec![1, 2],
        empty_seq: vec![],
        tuple: (3, "on"),
        empty_tuple: [],
        tuple_struct: Pair(-4, "x y"),
        empty_tuple_struct: NoTupleFields(),
        no_fields: NoFields {},
        map: BTreeMap::from([("a", 1), ("b", 2)]),
        empty_map: BTreeMap::new(),
        nested: vec![BTreeMap::from([(
            "pairs",
            vec![Pair(5, "p"), Pair(6, "q")],
        )])],
    };
    let text = to_string(&value).unwrap();
    let read: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(read, serde_yaml::to_value(&value).unwrap(), "{text}");
    assert_eq!(text, EVERY_KIND);
}

/// `yes`, `no` and `on` are quoted (YAML 1.1 reads them as booleans), a string with a
/// space is single-quoted, and one with a tab or beyond ASCII double-quoted.
const EVERY_KIND: &str = r#"'yes': true
'no': false
i8: -128
i16: -32768
i32: -2147483648
i64: -9223372036854775808
u8: 255
u16: 65535
u32: 4294967295
u64: 18446744073709551615
char: "\u00e9"
text: 'it''s'
control: "a\u0009b\"c\\"
astral: "\U0001f980"
unit: null
unit_struct: null
variant: Plain
newtype: 443
none: null
some: 'yes'
seq:
- 1
- 2
empty_seq: []
tuple:
- 3
- 'on'
empty_tuple: []
tuple_struct:
- -4
- 'x y'
empty_tuple_struct: []
no_fields: {}
map:
  a: 1
  b: 2
empty_map: {}
nested:
- pairs:
  - - 5
    - p
  - - 6
    - q
"#;

/// Keys of every kind the writer takes are written as their text; every other kind
/// of key is refused with what it is.
#[test]
fn every_kind_of_key_is_its_text_or_refused() {
    let written = [
        to_string(&KeyOf(true)),
        to_string(&KeyOf(-8i8)),
        to_string(&KeyOf(-16i16)),
        to_string(&KeyOf(-32i32)),
        to_string(&KeyOf(-64i64)),
        to_string(&KeyOf(8u8)),
        to_string(&KeyOf(16u16)),
        to_string(&KeyOf(32u32)),
        to_string(&KeyOf(64u64)),
        to_string(&KeyOf('c')),
        to_string(&KeyOf("k")),
        to_string(&KeyOf(Variant::Plain)),
        to_string(&KeyOf(Newtype(7))),
        to_string(&KeyOf(Some("s"))),
    ];
    let written: Vec<String> = written.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(
        written,
        [
            "'true': 1\n",
            "'-8': 1\n",
            "'-16': 1\n",
            "'-32': 1\n",
            "'-64': 1\n",
            "'8': 1\n",
            "'16': 1\n",
            "'32': 1\n",
            "'64': 1\n",
            "c: 1\n",
            "k: 1\n",
            "Plain: 1\n",
            "'7': 1\n",
            "s: 1\n",
        ]
    );
    let refused = [
        (to_string(&KeyOf(0.5f32)), "a float key"),
        (to_string(&KeyOf(0.5f64)), "a float key"),
        (to_string(&KeyOf(Bytes)), "a bytes key"),
        (to_string(&KeyOf(None::<u8>)), "a null key"),
        (to_string(&KeyOf(())), "a null key"),
        (to_string(&KeyOf(UnitStruct)), "a null key"),
        (to_string(&KeyOf(Variant::Newtype(1))), "an enum key"),
        (to_string(&KeyOf(Variant::Tuple(1, 2))), "an enum key"),
        (to_string(&KeyOf(Variant::Struct { a: 1 })), "an enum key"),
        (to_string(&KeyOf(vec![1u8])), "a sequence key"),
        (to_string(&KeyOf((1u8, 2u8))), "a sequence key"),
        (to_string(&KeyOf(Pair(1, "a"))), "a sequence key"),
        (
            to_string(&KeyOf(BTreeMap::from([(1u8, 2u8)]))),
            "a mapping key",
        ),
        (to_string(&KeyOf(NoFields {})), "a mapping key"),
    ];
    assert_refused("key", refused);
}

/// Every kind of value the writer refuses is an error saying what it is.
#[test]
fn every_refused_kind_of_value_is_an_error() {
    let refused = [
        (to_string(&[0.5f32]), "floats"),
        (to_string(&[0.5f64]), "floats"),
        (to_string(&[Bytes]), "bytes"),
        (to_string(&[Variant::Newtype(1)]), "enum variants with data"),
        (
            to_string(&[Variant::Tuple(1, 2)]),
            "enum variants with data",
        ),
        (
            to_string(&[Variant::Struct { a: 1 }]),
            "enum variants with data",
        ),
    ];
    assert_refused("value", refused);
}

/// Each result is the error that names its kind (`what`) in the writer's words.
fn assert_refused<const N: usize>(
    which: &str,
    refused: [(Result<String, super::super::Error>, &str); N],
) {
    for (i, (result, what)) in refused.into_iter().enumerate() {
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{which} {i} was written"));
        assert_eq!(
            err.to_string(),
            format!("the YAML writer does not support {what}")
        );
    }
}

/// What the writer refuses (a bug in netpc if it ever happens) is an error that
/// says what it could not write, as `netpc build` prints it.
#[test]
fn a_refused_value_says_what_it_is() {
    let err = to_string(&BTreeMap::from([("ratio", 0.5f64)])).unwrap_err();
    assert_eq!(err.to_string(), "the YAML writer does not support floats");
    let err = to_string(&BTreeMap::from([(b"k".as_slice(), 1)])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the YAML writer does not support a sequence key"
    );
}
