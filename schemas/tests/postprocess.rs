//! Unit tests of the build-time post-processing, on small hand-made inputs.

#[allow(dead_code)]
#[path = "../build/postprocess.rs"]
mod postprocess;

use postprocess::{enum_values, tighten};
use serde_json::json;

#[test]
fn parses_possible_enum_values() {
    let d = "Image pull policy.\n\nPossible enum values:\n - `\"Always\"` means always.\n - `\"IfNotPresent\"` means only if missing.\n - `\"\"` is empty.";
    assert_eq!(enum_values(d).unwrap(), ["Always", "IfNotPresent", ""]);
    assert_eq!(enum_values("One of Always, Never."), None);
}

#[test]
fn tightens_objects_but_not_maps() {
    let mut s = json!({
        "type": "object",
        "properties": {
            "labels": { "type": "object", "additionalProperties": { "type": "string" } },
            "nested": { "type": "object", "properties": { "a": { "type": "string" } } },
            "policy": { "type": "string", "description": "x\nPossible enum values:\n - `\"A\"` a\n - `\"B\"` b" },
            "list": { "type": "array", "items": { "type": "string" }, "description": "Possible enum values:\n - `\"X\"`" }
        }
    });
    tighten(&mut s);
    assert_eq!(s["additionalProperties"], false);
    assert_eq!(s["properties"]["labels"]["additionalProperties"], json!({ "type": "string" }));
    assert_eq!(s["properties"]["nested"]["additionalProperties"], false);
    assert_eq!(s["properties"]["policy"]["enum"], json!(["A", "B"]));
    assert_eq!(s["properties"]["list"]["items"]["enum"], json!(["X"]));
}

#[test]
fn quantity_pattern_follows_the_grammar() {
    let re = |s: &str| jsonschema::is_valid(&json!({ "pattern": postprocess::QUANTITY_PATTERN }), &json!(s));
    for ok in ["1", "500m", "1.5Gi", "-2", ".5", "1.", "1e3", "2E-2", "10n", "3u", "1k", "1M", "1Ei"] {
        assert!(re(ok), "{ok}");
    }
    for bad in ["", "m", "1K", "1GB", "1.2.3", "1 Gi", "1ki", "Gi1", "1e"] {
        assert!(!re(bad), "{bad}");
    }
}
