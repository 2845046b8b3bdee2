//! The parse graph of each `fixtures/parse/*.flow`, as `flowrun graph` prints it.
//!
//! One snapshot per fixture (`snapshots/parse/`): the oracle-shaped JSON with
//! the drawing replay (`Render::Yes`), pretty-printed. The fixture text is the
//! snapshot's description, so a review shows input and output together.

use std::path::Path;

use crate::support::{graph_json, read_fixture};
use flowrun::graph::json::Render;

/// `flowrun graph FILE` for a fixture.
fn graph_output(path: &Path) -> (String, String) {
    let text = read_fixture(path);
    let json = serde_json::to_string_pretty(&graph_json(&text, Render::Yes)).unwrap();
    (text, json)
}

#[test]
fn parse_graphs() {
    insta::glob!("fixtures/parse/*.flow", |path| {
        let (text, json) = graph_output(path);
        insta::with_settings!({
            description => text.clone(),
            omit_expression => true,
            prepend_module_to_snapshot => false,
            snapshot_path => "snapshots/parse",
        }, {
            insta::assert_snapshot!(json);
        });
    });
}

/// The fixtures cover what they claim: the CRLF one really has CRLF, and the
/// BOM one really starts with a BOM (an editor or git could silently strip them).
#[test]
fn byte_level_fixtures_are_intact() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse");
    let crlf = std::fs::read(dir.join("crlf.flow")).unwrap();
    assert!(crlf.windows(2).filter(|w| w == b"\r\n").count() >= 8);
    let bom = std::fs::read(dir.join("bom-whitespace-junk.flow")).unwrap();
    assert!(bom.starts_with("\u{feff}".as_bytes()));
    let backslash = std::fs::read(dir.join("backslash-newline.flow")).unwrap();
    assert!(backslash.windows(2).any(|w| w == b"\\\n"));
}
