//! `gitops-ls/schemaChanged`: tells the client which schema an open document resolves to,
//! on open and whenever that changes, so a status bar need not poll `gitops-ls/schemaInfo`.
//!
//! Sent only to clients that ask for it with the client capability
//! `experimental["gitops-ls/schemaChanged"] = true` (other clients would log an unknown
//! notification per open); the server advertises it under the same key in its capabilities.
//! Params: `{uri, schema}`, `schema` being what `gitops-ls/schemaInfo` answers without a
//! position (`{label, source, sourceUri?}`, or `null`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{ClientCapabilities, Uri, notification::Notification};

use super::session::{Session, Snapshot};
use crate::analysis::{self, SchemaInfo};
use crate::schema::SchemaStore;

pub const METHOD: &str = "gitops-ls/schemaChanged";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    pub label: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_uri: Option<String>,
}

impl From<SchemaInfo> for Schema {
    fn from(i: SchemaInfo) -> Self {
        Schema { label: i.label, source: i.source, source_uri: i.source_uri }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaChangedParams {
    pub uri: Uri,
    pub schema: Option<Schema>,
}

pub enum SchemaChanged {}

impl Notification for SchemaChanged {
    type Params = SchemaChangedParams;
    const METHOD: &'static str = METHOD;
}

/// What was last sent per open document, with the document state it was computed from.
#[derive(Default)]
pub struct SchemaStatus {
    enabled: AtomicBool,
    /// Held while sending, so two passes cannot reorder their notifications.
    sent: tokio::sync::Mutex<HashMap<Uri, (u64, Option<Schema>)>>,
}

/// The server capability entry (`experimental`).
pub fn server_capability() -> Option<serde_json::Value> {
    Some(serde_json::json!({ METHOD: true }))
}

impl SchemaStatus {
    /// Turns the notification on if the client's capabilities ask for it.
    pub fn configure(&self, caps: &ClientCapabilities) {
        let wanted = caps.experimental.as_ref().and_then(|e| e.get(METHOD)).and_then(serde_json::Value::as_bool);
        self.enabled.store(wanted == Some(true), Ordering::Relaxed);
    }

    /// The schema of a snapshot (on the blocking pool, next to its diagnostics); `None` when
    /// the client did not ask.
    pub fn compute(&self, snap: &Snapshot, store: &SchemaStore) -> Option<Option<Schema>> {
        self.enabled.load(Ordering::Relaxed).then(|| analysis::schema_info(&snap.yaml, store, None).map(Schema::from))
    }

    /// Sends `schema` for the snapshot's document if it differs from what was sent last and
    /// no newer state of the document exists (that state reports for itself).
    pub async fn notify(&self, client: &Client, session: &Session, snap: &Snapshot, schema: Option<Option<Schema>>) {
        let Some(schema) = schema else { return };
        let mut sent = self.sent.lock().await;
        if !session.is_current(&snap.uri, snap.seq) {
            return;
        }
        if let Some((seq, last)) = sent.get(&snap.uri)
            && (*seq >= snap.seq || *last == schema)
        {
            return;
        }
        sent.insert(snap.uri.clone(), (snap.seq, schema.clone()));
        client.send_notification::<SchemaChanged>(SchemaChangedParams { uri: snap.uri.clone(), schema }).await;
    }

    /// A closed document reports again when it is opened again.
    pub async fn forget(&self, uri: &Uri) {
        self.sent.lock().await.remove(uri);
    }
}
