//! The browser side's files (`pkg/`: the WASM, its split parts, their JS and the CSS)
//! under an address that changes whenever their content does: `/pkg/<version>/intranet.wasm`,
//! where the version is a hash of the files this instance serves, taken once at start-up.
//! So browsers and proxies may keep them for a year without asking again, and a new
//! release is fetched at once because its pages name new addresses.
//!
//! Hashing at start-up rather than renaming the files at build time (cargo-leptos's
//! `hash-files`) keeps every build the same (the test build's server serves the release
//! WASM as it is) and reads nothing from disk per page: Leptos's own hashed names read
//! `hash.txt` on every render.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;

/// How long a versioned file may be kept: a year, never revalidated (its address changes
/// with its content).
const FOREVER: &str = "public, max-age=31536000, immutable";

/// The split build's list of the files each lazily loaded group of pages needs
/// (app::page_groups), and the script that loads them; both named by cargo-leptos.
const SPLIT_MANIFEST: &str = "__wasm_split_manifest.json";
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

/// The version of the files in `<site_root>/pkg`: 16 hex digits of the SHA-256 of every
/// file there (the main WASM and script, the split parts, the stylesheet), by name. The
/// compressed copies (`.br`, `.gz`) follow from the files they compress. A missing folder
/// counts as empty, so a server without a browser build (the integration tests) still
/// starts.
pub fn version(site_root: &str) -> String {
    let pkg = Path::new(site_root).join("pkg");
    let mut names: Vec<String> = std::fs::read_dir(&pkg)
        .map(|entries| entries.filter_map(|entry| entry.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.retain(|name| !name.ends_with(".br") && !name.ends_with(".gz"));
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        let bytes = std::fs::read(pkg.join(&name)).unwrap_or_default();
        // Lengths first, so moving bytes from one name or file to the next changes the hash.
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    hasher.finalize().iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

/// What a page needs to name the split parts its group uses in its head, so the browser
/// fetches them beside the main WASM instead of after it: the split build's manifest, read
/// once. Leptos looks for the manifest under the pages' folder, which is versioned here
/// and so not on disk; this gives it the one from `<site_root>/pkg`. None without a split
/// build (the integration tests).
pub fn split_manifest(site_root: &str, pkg_dir: &str) -> Option<leptos::WasmSplitManifest> {
    let text = std::fs::read_to_string(Path::new(site_root).join("pkg").join(SPLIT_MANIFEST)).ok()?;
    let parts: std::collections::HashMap<String, Vec<String>> = serde_json::from_str(&text).ok()?;
    Some(leptos::WasmSplitManifest(leptos::prelude::ArcStoredValue::new((format!("/{pkg_dir}"), parts, SPLIT_LOADER.to_string()))))
}

/// Whether `<site_root>/pkg` holds a browser build made without `--split`: its WASM
/// asks for page groups that were never made, so no page would become interactive.
pub fn built_without_split(site_root: &str, output_name: &str) -> bool {
    let pkg = Path::new(site_root).join("pkg");
    pkg.join(format!("{output_name}.wasm")).exists() && !pkg.join(SPLIT_MANIFEST).exists()
}

/// The folder pages name the files in, relative to the site root: `pkg/<version>`.
pub fn versioned_pkg_dir(version: &str) -> String {
    format!("pkg/{version}")
}

/// `/<pkg_dir>/…` (`/pkg/<version>/…`, from [`versioned_pkg_dir`]) served from
/// `<site_root>/pkg`, precompressed (`.br`, `.gz`, when the build made them and the
/// browser accepts them) and cacheable for a year. Any other version is not found: its
/// content is gone. A "not found" is not kept.
pub fn routes<S: Clone + Send + Sync + 'static>(site_root: &str, pkg_dir: &str) -> Router<S> {
    let files = ServeDir::new(Path::new(site_root).join("pkg")).precompressed_br().precompressed_gzip();
    Router::new().nest_service(&format!("/{pkg_dir}"), files).layer(axum::middleware::map_response(keep_for_a_year))
}

async fn keep_for_a_year(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(FOREVER));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::ReadValue;

    #[test]
    fn the_version_follows_the_content_of_every_file() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().to_str().unwrap();
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        let empty = version(root);
        assert_eq!(empty.len(), 16);
        std::fs::write(site.path().join("pkg/app.wasm"), b"one").unwrap();
        let first = version(root);
        assert_ne!(first, empty);
        assert_eq!(version(root), first, "the same files give the same version");
        std::fs::write(site.path().join("pkg/app.css"), b"body{}").unwrap();
        let with_style = version(root);
        assert_ne!(with_style, first, "the stylesheet counts too");
        std::fs::write(site.path().join("pkg/chunk_1.wasm"), b"part").unwrap();
        let with_part = version(root);
        assert_ne!(with_part, with_style, "a split part counts too");
        std::fs::write(site.path().join("pkg/chunk_1.wasm.br"), b"compressed").unwrap();
        assert_eq!(version(root), with_part, "compressed copies follow their files");
        std::fs::rename(site.path().join("pkg/chunk_1.wasm"), site.path().join("pkg/chunk_2.wasm")).unwrap();
        assert_ne!(version(root), with_part, "a renamed part changes the version");
    }

    #[test]
    fn a_build_without_split_is_told_apart() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().to_str().unwrap();
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        assert!(!built_without_split(root, "app"), "no browser build at all (the integration tests)");
        std::fs::write(site.path().join("pkg/app.wasm"), b"module").unwrap();
        assert!(built_without_split(root, "app"));
        std::fs::write(site.path().join("pkg").join(SPLIT_MANIFEST), "{}").unwrap();
        assert!(!built_without_split(root, "app"));
    }

    #[test]
    fn the_split_manifest_names_parts_under_the_versioned_folder() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().to_str().unwrap();
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        assert!(split_manifest(root, "pkg/v1").is_none(), "no split build, no manifest");
        std::fs::write(site.path().join("pkg").join(SPLIT_MANIFEST), r#"{"portal_pages_1": ["chunk_4", "split_portal_pages_1"]}"#).unwrap();
        let manifest = split_manifest(root, "pkg/v1").unwrap();
        let (folder, parts, loader) = manifest.0.try_read_value().unwrap().clone();
        assert_eq!(folder, "/pkg/v1");
        assert_eq!(parts["portal_pages_1"], ["chunk_4", "split_portal_pages_1"]);
        assert_eq!(loader, SPLIT_LOADER);
    }

    #[tokio::test]
    async fn versioned_files_are_served_precompressed_and_kept_for_a_year() {
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("app.wasm"), b"the module").unwrap();
        std::fs::write(pkg.join("app.wasm.br"), b"compressed").unwrap();
        let root = site.path().to_str().unwrap();
        let pkg_dir = versioned_pkg_dir(&version(root));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = routes::<()>(root, &pkg_dir);
        tokio::spawn(async move { axum::serve(listener, router).await });
        // No automatic decompression: the test reads what was sent.
        let client = reqwest::Client::builder().build().unwrap();

        let plain = client.get(format!("{base}/{pkg_dir}/app.wasm")).send().await.unwrap();
        assert_eq!(plain.status(), 200);
        assert_eq!(plain.headers()[header::CACHE_CONTROL], FOREVER);
        assert_eq!(plain.bytes().await.unwrap().as_ref(), b"the module");

        let brotli = client.get(format!("{base}/{pkg_dir}/app.wasm")).header(header::ACCEPT_ENCODING, "gzip, br").send().await.unwrap();
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(brotli.headers()[header::CACHE_CONTROL], FOREVER);
        assert_eq!(brotli.bytes().await.unwrap().as_ref(), b"compressed");

        let stale = client.get(format!("{base}/pkg/0123456789abcdef/app.wasm")).send().await.unwrap();
        assert_eq!(stale.status(), 404, "another version's files are gone");
        let missing = client.get(format!("{base}/{pkg_dir}/missing.wasm")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        assert!(missing.headers().get(header::CACHE_CONTROL).is_none(), "a miss is not kept");
    }
}
