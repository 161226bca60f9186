use super::*;

/// `registry/repository[:tag][@digest]` after normalisation, or the error text.
fn norm(text: &str) -> String {
    match parse(text) {
        Ok(r) => {
            let mut s = r.name();
            if let Some(t) = &r.tag {
                s.push(':');
                s.push_str(t);
            }
            if let Some(d) = &r.digest {
                s.push('@');
                s.push_str(d);
            }
            s
        }
        Err(e) => format!("error: {e}"),
    }
}

const SHA: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

#[test]
fn normalises_like_the_distribution_library() {
    let cases = [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("library/nginx", "docker.io/library/nginx"),
        ("docker.io/nginx", "docker.io/library/nginx"),
        ("index.docker.io/nginx", "docker.io/library/nginx"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("ghcr.io/fluxcd/flux-cli:v2.4.0", "ghcr.io/fluxcd/flux-cli:v2.4.0"),
        ("localhost/app", "localhost/app"),
        ("localhost:5000/team/app:1.0", "localhost:5000/team/app:1.0"),
        ("127.0.0.1:5000/app", "127.0.0.1:5000/app"),
        ("[::1]:5000/app:x", "[::1]:5000/app:x"),
        ("[2001:db8::1]/app", "[2001:db8::1]/app"),
        ("Registry.Example.COM/app", "Registry.Example.COM/app"),
        // An upper-case first component is a host, even without a dot.
        ("Foo/app", "Foo/app"),
        ("quay.io/a/b/c/d", "quay.io/a/b/c/d"),
        ("a__b/c-d---e/f.g_h", "docker.io/a__b/c-d---e/f.g_h"),
        ("foo_bar.com:8080/x", "foo_bar.com:8080/x"),
        ("my-host/app", "docker.io/my-host/app"),
    ];
    for (input, expected) in cases {
        let got = norm(input);
        // `foo_bar.com` is not a valid host: `_` is not allowed in domain components.
        if input.starts_with("foo_bar") {
            assert!(got.starts_with("error: invalid reference format: registry host"), "{input}: {got}");
            continue;
        }
        assert_eq!(got, expected, "{input}");
    }
}

#[test]
fn tags_and_digests() {
    assert_eq!(norm(&format!("nginx@{SHA}")), format!("docker.io/library/nginx@{SHA}"));
    assert_eq!(norm(&format!("nginx:1.2@{SHA}")), format!("docker.io/library/nginx:1.2@{SHA}"));
    assert_eq!(norm("localhost:5000/app"), "localhost:5000/app");
    let r = parse(&format!("ghcr.io/a/b:v1@{SHA}")).unwrap();
    let text = format!("ghcr.io/a/b:v1@{SHA}");
    assert_eq!(&text[r.name_range.clone()], "ghcr.io/a/b");
    assert_eq!(&text[r.tag_range.clone().unwrap()], "v1");
    assert_eq!(&text[r.digest_range.clone().unwrap()], SHA);
    assert_eq!(r.familiar_name(), "ghcr.io/a/b");
    assert_eq!(parse("nginx").unwrap().familiar_name(), "nginx");
    assert!(parse("nginx").unwrap().is_implicit_latest());
    assert!(!parse(&format!("nginx@{SHA}")).unwrap().is_implicit_latest());
    // Tags: `\w[\w.-]{0,127}`.
    assert!(parse("a:_x.y-z").is_ok());
    assert!(parse(&format!("a:{}", "t".repeat(128))).is_ok());
    // Other algorithms are accepted with any length of at least 32 hex characters.
    assert!(parse(&format!("a@md5+b64:{}", "a".repeat(32))).is_ok());
    assert!(parse(&format!("a@sha512:{}", "a".repeat(128))).is_ok());
}

#[test]
fn malformed_references_say_why() {
    let cases = [
        ("", "repository name must have at least one component"),
        (":tag", "repository name must have at least one component"),
        ("nginx:", "empty tag"),
        ("nginx:-x", "must start with a letter"),
        ("nginx:a+b", "only letters, digits"),
        ("Nginx", "must be lowercase"),
        ("docker.io/Library/nginx", "must be lowercase"),
        ("ghcr.io/a//b", "empty path component"),
        ("ghcr.io/a/", "empty path component"),
        ("a/-b", "must start and end"),
        ("a/b-", "must start and end"),
        ("a..b", "separators are"),
        ("a___b", "separators are"),
        ("a b", "only lower-case letters"),
        ("host:port/app", "the port must be a number"),
        ("-host.com/app", "each dot-separated part"),
        ("host..com/app", "each dot-separated part"),
        ("[::1/app", "unclosed"),
        ("[g::1]/app", "not an IPv6 address"),
        ("[xyz]/app", "path component `[xyz]`"),
        ("nginx@sha256", "expected `algorithm:hex`"),
        ("nginx@sha256:abc", "at least 32 hexadecimal"),
        ("nginx@1sha:ffffffffffffffffffffffffffffffff", "not a digest algorithm"),
        ("nginx@sha256:ffffffffffffffffffffffffffffffffff", "has 64 hex characters"),
        ("nginx@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "lower-case hex"),
        ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "image ID"),
    ];
    for (input, reason) in cases {
        let got = norm(input);
        assert!(got.contains(reason), "{input:?}: expected {reason:?}, got {got:?}");
    }
    let long = format!("a/{}", "b".repeat(260));
    assert!(norm(&long).contains("must not be more than 255"), "{}", norm(&long));
    assert!(norm(&format!("a:{}", "t".repeat(129))).contains("at most 128"));
    assert!(parse_name("a:1").is_err());
    assert_eq!(parse_name("a").unwrap().repository, "library/a");
}

#[test]
fn versions_sort_newest_first() {
    let mut tags: Vec<String> =
        ["latest", "1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "2.0.0-rc.10", "2.0.0-rc.2", "main", "v3", "1.2.0-alpine"]
            .map(String::from)
            .to_vec();
    sort_tags(&mut tags);
    assert_eq!(
        tags,
        ["v3", "2.0.0-rc.10", "2.0.0-rc.2", "2.0.0-rc.1", "1.10.0", "1.2.0", "1.2.0-alpine", "1.0.0", "latest", "main"]
    );
    assert_eq!(TagVersion::parse("1.2.3-rc.1").unwrap().pre.as_deref(), Some("rc.1"));
    assert_eq!(TagVersion::parse("1.2-alpine").unwrap().suffix.as_deref(), Some("-alpine"));
    assert!(TagVersion::parse("01.2").is_none());
    assert!(TagVersion::parse("1..2").is_none());
    assert!(TagVersion::parse("1.2.3.4").is_none());
    assert!(TagVersion::parse("latest").is_none());
}

#[test]
fn newer_release_stays_in_the_major_and_the_shape() {
    let tags = ["1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.1.0", "v1.11.0", "1.12", "1.11.0-alpine", "latest"];
    assert_eq!(newer_release("1.0.0", tags), Some("1.10.0"));
    assert_eq!(newer_release("1.10.0", tags), None);
    assert_eq!(newer_release("2.0.0", tags), Some("2.1.0"));
    assert_eq!(newer_release("v1.0.0", tags), Some("v1.11.0"));
    assert_eq!(newer_release("1.2", tags), Some("1.12"));
    assert_eq!(newer_release("1.0.0-rc.1", tags), None, "pre-releases are not upgraded");
    assert_eq!(newer_release("latest", tags), None);
}
