//! Fault cases a real registry does not produce, against a small misbehaving HTTP server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::*;

/// One recorded request: the request line and its headers (lower-case names).
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub line: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Seen) -> Option<String> + Send + Sync;

/// Serves each connection on a thread; `handler` returns the raw response, or `None` to hang.
pub(crate) struct Fake {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    pub fn start(handler: impl Fn(&Seen) -> Option<String> + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let s = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, h) = (Arc::clone(&s), Arc::clone(&handler));
                thread::spawn(move || serve(stream, &s, &*h));
            }
        });
        Fake { port, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, handler: &Handler) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap_or(0);
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let req = Seen { line: line.trim_end().to_string(), headers };
        seen.lock().unwrap().push(req.clone());
        match handler(&req) {
            Some(resp) => {
                if stream.write_all(resp.as_bytes()).is_err() {
                    return;
                }
            }
            None => {
                // Hang: hold the connection without answering.
                let mut sink = [0u8; 1];
                let _ = reader.read(&mut sink);
                thread::sleep(Duration::from_secs(30));
                return;
            }
        }
    }
}

pub(crate) fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut r = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (n, v) in headers {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

fn client(timeout: Duration, docker_config: Option<std::path::PathBuf>) -> RegistryClient {
    RegistryClient::new(ClientOptions { insecure: Vec::new(), timeout, docker_config })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn reg(fake: &Fake) -> String {
    format!("127.0.0.1:{}", fake.port)
}

#[test]
fn status_errors_and_malformed_answers() {
    let fake = Fake::start(|r| {
        Some(if r.line.contains("/five/") {
            response("500 Internal Server Error", &[], "oops")
        } else if r.line.contains("/bad/") {
            response("200 OK", &[("Content-Type", "application/json")], "{\"tags\": [1, ")
        } else if r.line.contains("/odd/") {
            response("200 OK", &[], "{\"tags\": 5}")
        } else {
            response("404 Not Found", &[], "{}")
        })
    });
    let c = client(Duration::from_secs(5), None);
    let rt = rt();
    assert_eq!(rt.block_on(c.list_tags(&reg(&fake), "five")), Err(FetchError::Status(500)));
    assert!(matches!(rt.block_on(c.list_tags(&reg(&fake), "bad")), Err(FetchError::Malformed(_))));
    assert!(matches!(rt.block_on(c.list_tags(&reg(&fake), "odd")), Err(FetchError::Malformed(_))));
    assert_eq!(rt.block_on(c.list_tags(&reg(&fake), "gone")), Err(FetchError::NotFound));
}

#[test]
fn unauthorized_forever_gives_up_after_one_round() {
    let fake = Fake::start(|r| {
        Some(if r.line.contains("/token") {
            response("200 OK", &[], "{\"token\": \"t1\"}")
        } else {
            let realm = format!("Bearer realm=\"http://{}/token\",service=\"fake\"", r.header("host").unwrap());
            response("401 Unauthorized", &[("WWW-Authenticate", &realm)], "{}")
        })
    });
    let c = client(Duration::from_secs(5), None);
    assert_eq!(rt().block_on(c.list_tags(&reg(&fake), "a/b")), Err(FetchError::Unauthorized));
    // One anonymous try, one token, one try with the token: no loop.
    assert_eq!(fake.seen().len(), 3, "{:?}", fake.seen());
    assert!(fake.seen()[1].line.contains("scope=repository%3Aa%2Fb%3Apull"), "{:?}", fake.seen()[1]);
}

#[test]
fn rate_limits_are_respected() {
    let fake = Fake::start(|_| Some(response("429 Too Many Requests", &[("Retry-After", "120")], "")));
    let c = client(Duration::from_secs(5), None);
    let rt = rt();
    let long = rt.block_on(c.list_tags(&reg(&fake), "long"));
    assert!(matches!(long, Err(FetchError::RateLimited { retry_after }) if retry_after.as_secs() == 120), "{long:?}");
    // The registry is left alone until the wait is over: no further request reaches it.
    let before = fake.seen().len();
    assert!(matches!(rt.block_on(c.list_tags(&reg(&fake), "other")), Err(FetchError::RateLimited { .. })));
    assert_eq!(fake.seen().len(), before);
    assert!(long.unwrap_err().to_string().contains("trying again in 120s"));
}

#[test]
fn short_retry_after_is_waited_out_once() {
    let hits = Arc::new(Mutex::new(0));
    let h = Arc::clone(&hits);
    let fake = Fake::start(move |_| {
        let mut n = h.lock().unwrap();
        *n += 1;
        Some(if *n == 1 {
            response("429 Too Many Requests", &[("Retry-After", "1")], "")
        } else {
            response("200 OK", &[], "{\"name\": \"a\", \"tags\": [\"1.0\"]}")
        })
    });
    let c = client(Duration::from_secs(5), None);
    assert_eq!(rt().block_on(c.list_tags(&reg(&fake), "a")), Ok(vec!["1.0".to_string()]));
    assert_eq!(*hits.lock().unwrap(), 2);
}

#[test]
fn follows_link_pages_through_100k_tags() {
    const TOTAL: usize = 100_000;
    let fake = Fake::start(|r| {
        // `?n=1000` first, then `?last=<index>` from our own Link header.
        let start: usize =
            r.line.split("last=").nth(1).map_or(0, |s| s.split([' ', '&']).next().unwrap().parse().unwrap());
        let end = (start + 1000).min(TOTAL);
        let tags: Vec<String> = (start..end).map(|i| format!("\"0.0.{i}\"")).collect();
        let body = format!("{{\"name\": \"big\", \"tags\": [{}]}}", tags.join(","));
        let link = format!("</v2/big/tags/list?n=1000&last={end}>; rel=\"next\"");
        let headers: Vec<(&str, &str)> = if end < TOTAL { vec![("Link", link.as_str())] } else { vec![] };
        Some(response("200 OK", &headers, &body))
    });
    let c = client(Duration::from_secs(10), None);
    let tags = rt().block_on(c.list_tags(&reg(&fake), "big")).unwrap();
    assert_eq!(tags.len(), TOTAL);
    assert_eq!(fake.seen().len(), TOTAL / 1000);
    assert_eq!(tags[TOTAL - 1], format!("0.0.{}", TOTAL - 1));
}

#[test]
fn authorization_never_follows_a_redirect_to_another_host() {
    // The "blob storage" is another host: 127.0.0.2 (also loopback, a different authority).
    let other = TcpListener::bind("127.0.0.2:0");
    let Ok(other) = other else { return };
    let other_port = other.local_addr().unwrap().port();
    drop(other);
    let storage = Fake::start_on("127.0.0.2", other_port, |_| {
        Some(response("200 OK", &[], "{\"name\": \"a\", \"tags\": [\"9.9\"]}"))
    });
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(move |r| {
        Some(if r.header("authorization").is_none() {
            response("401 Unauthorized", &[("WWW-Authenticate", "Basic realm=\"fake\"")], "")
        } else {
            let to = format!("http://127.0.0.2:{other_port}/storage/tags");
            response("307 Temporary Redirect", &[("Location", &to)], "")
        })
    });
    let config = dir.path().join("config.json");
    std::fs::write(&config, format!(r#"{{"auths": {{"127.0.0.1:{}": {{"auth": "dTpw"}}}}}}"#, fake.port)).unwrap();
    let c = client(Duration::from_secs(5), Some(config));
    assert_eq!(rt().block_on(c.list_tags(&reg(&fake), "a")), Ok(vec!["9.9".to_string()]));
    let home = fake.seen();
    assert_eq!(home[1].header("authorization"), Some("Basic dTpw"), "the registry gets the credentials");
    let away = storage.seen();
    assert_eq!(away.len(), 1);
    assert_eq!(away[0].header("authorization"), None, "the other host must not: {away:?}");
}

#[test]
fn a_hanging_registry_times_out_and_waiters_give_up_early() {
    let fake = Fake::start(|_| None);
    let c = client(Duration::from_millis(500), None);
    let err = rt().block_on(c.list_tags(&reg(&fake), "a")).unwrap_err();
    assert_eq!(err, FetchError::Network("timed out".into()));

    // Through the cache: a waiter returns after its own short wait, the fetch goes on, and
    // many callers share one fetch.
    let registry = Registry::new(&ImageSettings::default(), None);
    let repo = format!("{}/a", reg(&fake));
    let before = fake.seen().len();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        futures::future::join_all((0..10).map(|_| registry.wait_tags(&repo, Duration::from_millis(50)))).await;
    });
    assert!(matches!(registry.tags(&repo), TagState::Pending));
    thread::sleep(Duration::from_millis(100));
    assert_eq!(fake.seen().len() - before, 1, "one fetch for ten callers");
}

impl Fake {
    fn start_on(host: &str, port: u16, handler: impl Fn(&Seen) -> Option<String> + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind((host, port)).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let s = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, h) = (Arc::clone(&s), Arc::clone(&handler));
                thread::spawn(move || serve(stream, &s, &*h));
            }
        });
        Fake { port, seen }
    }
}

#[test]
fn digest_of_the_manifest_bytes_when_the_header_is_missing() {
    const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aaaa","size":2},"layers":[]}"#;
    let fake = Fake::start(|r| {
        Some(if r.line.contains("/manifests/") {
            response("200 OK", &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")], MANIFEST)
        } else {
            response("200 OK", &[("Content-Type", "application/json")], "{}")
        })
    });
    let c = client(Duration::from_secs(5), None);
    let details = rt().block_on(c.details(&reg(&fake), "team/app", "1.0.0")).unwrap();
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(MANIFEST.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(details.digest, format!("sha256:{expected}"));
}
