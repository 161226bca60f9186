//! Test fixtures shared by the hover and completion tests: `$0` cursors and a store with one
//! workspace CRD.

use std::sync::Arc;

use serde_json::json;

use crate::schema::{CustomKind, Provenance, SchemaStore};
use crate::yaml::YamlFile;

/// Splits a fixture at its `$0` cursor: (text, offset, parsed file).
pub fn cursor(fixture: &str) -> (String, usize, YamlFile) {
    let offset = fixture.find("$0").expect("fixture has a $0 cursor");
    let text = fixture.replacen("$0", "", 1);
    let file = YamlFile::parse(text.as_str());
    (text, offset, file)
}

/// The embedded kinds plus `example.com/v1 App`, as a workspace CRD would register it.
pub fn store() -> SchemaStore {
    let store = SchemaStore::new();
    store.set_custom_kinds("file:///repo/crds/app.yaml", vec![app_kind()]);
    store
}

pub fn app_kind() -> CustomKind {
    let schema = json!({
        "type": "object",
        "description": "App deploys an application from a Git repository.",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "description": "What to deploy and how.",
                "required": ["source", "interval"],
                "properties": {
                    "source": {
                        "type": "object",
                        "required": ["url"],
                        "properties": {
                            "url": {"type": "string", "description": "Git URL of the repository."},
                            "ref": {"type": "string", "description": "Branch or tag.", "default": "main"}
                        }
                    },
                    "interval": {"type": "string", "description": "How often to reconcile.", "default": "5m"},
                    "prune": {"type": "boolean", "description": "Delete objects removed from the source."},
                    "mode": {
                        "type": "string",
                        "enum": ["Apply", "DryRun"],
                        "description": "How changes are made.\n\nPossible enum values:\n - `\"Apply\"` applies the changes to the cluster.\n - `\"DryRun\"` only reports what would change."
                    },
                    "targets": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["namespace"],
                            "properties": {
                                "namespace": {"type": "string", "description": "Namespace to deploy to."},
                                "replicas": {"type": "integer"}
                            }
                        }
                    }
                }
            }
        }
    });
    CustomKind {
        api_version: "example.com/v1".into(),
        kind: "App".into(),
        namespaced: true,
        schema: Arc::new(schema),
        provenance: Provenance::WorkspaceCrd { file: "crds/app.yaml".into(), line: 1 },
    }
}
