//! What users read: a snapshot of the rendered diagnostics of every `tests/ui/syntax/*.netp`.

use netpc::diagnostic::Diagnostics;
use netpc::source::{Origin, Sources};

// ---------------------------------------------------------------------------------
// What users read: tests/ui/syntax/*.netp
// ---------------------------------------------------------------------------------

#[test]
fn ui_snapshots() {
    insta::glob!("../../ui/syntax", "*.netp", |path| {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut sources = Sources::new();
        let id = sources.add(Origin::File(name.clone().into()), text.clone());
        let mut diagnostics = Diagnostics::new();
        netpc::syntax::parse(id, &text, &mut diagnostics);
        let code = name.split('-').next().unwrap();
        assert!(
            diagnostics.iter().any(|d| d.code.as_str() == code),
            "{name} does not report {code}"
        );
        let rendered =
            String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
        // NUL and other control characters would make the snapshot a binary file.
        let visible = |s: &str| {
            s.chars()
                .map(|c| match c {
                    '\n' => '\n',
                    c if c.is_control() => char::from_u32(0x2400 + u32::from(c)).unwrap_or('?'),
                    c => c,
                })
                .collect::<String>()
        };
        insta::assert_snapshot!(format!(
            "----- SOURCE CODE\n{}\n----- DIAGNOSTICS\n{}",
            visible(&text),
            visible(&rendered)
        ));
    });
}
