//! The bundled CRD schemas: the index is complete and consistent, every schema decompresses
//! and is an `openAPIV3Schema` with descriptions.

use std::collections::HashSet;

#[test]
fn every_bundled_schema_unpacks_and_is_described() {
    let mut seen = HashSet::new();
    let mut described = 0;
    for crd in gitops_ls_schemas::bundled_crds() {
        assert!(seen.insert((crd.api_version, crd.kind)), "{} {} listed twice", crd.api_version, crd.kind);
        assert_eq!(crd.api_version, format!("{}/{}", crd.group, crd.version));
        assert!(crd.kind.starts_with(|c: char| c.is_ascii_uppercase()), "{} kind {:?}", crd.group, crd.kind);
        assert_eq!(crd.file, format!("{}/{}_{}.json", crd.group, crd.kind.to_lowercase(), crd.version));
        let schema = crd.schema();
        assert!(schema.get("properties").is_some_and(|p| p.is_object()), "{}: no properties", crd.file);
        described += schema.pointer("/properties/spec/description").is_some() as usize;
    }
    assert!(seen.len() > 500, "{}", seen.len());
    // Most CRDs describe their spec (hover text); a few (Istio, older Argo) only their fields.
    assert!(described * 10 > seen.len() * 7, "{described} of {}", seen.len());
}

#[test]
fn lookups_by_api_version_and_by_file_name() {
    let crd = gitops_ls_schemas::bundled_crd("source.toolkit.fluxcd.io/v1", "OCIRepository").unwrap();
    assert_eq!(crd.project, "Flux");
    assert_eq!(
        gitops_ls_schemas::bundled_crd_ignore_case("source.toolkit.fluxcd.io", "v1", "ocirepository"),
        Some(crd)
    );
    assert!(gitops_ls_schemas::bundled_crd("source.toolkit.fluxcd.io/v1", "ocirepository").is_none());
    let schema = crd.schema();
    assert!(schema["properties"]["spec"]["properties"]["url"]["description"].as_str().unwrap().contains("OCI"));
}
