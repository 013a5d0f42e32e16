//! The browser side's files (`pkg/`: the WASM, its JS and the CSS) under an address that
//! changes whenever their content does: `/pkg/<version>/intranet.wasm`, where the version
//! is a hash of the files this instance serves, taken once at start-up. So browsers and
//! proxies may keep them for a year without asking again, and a new release is fetched at
//! once because its pages name new addresses.
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

/// The files every page loads, in the order they are hashed.
const HASHED_FILES: [&str; 3] = ["js", "wasm", "css"];

/// How long a versioned file may be kept: a year, never revalidated (its address changes
/// with its content).
const FOREVER: &str = "public, max-age=31536000, immutable";

/// The version of the files in `<site_root>/pkg` named `<output_name>.{js,wasm,css}`:
/// 16 hex digits of their SHA-256. Files that are missing count as empty, so a server
/// without a browser build (the integration tests) still starts.
pub fn version(site_root: &str, output_name: &str) -> String {
    let mut hasher = Sha256::new();
    for extension in HASHED_FILES {
        let path = Path::new(site_root).join("pkg").join(format!("{output_name}.{extension}"));
        let bytes = std::fs::read(&path).unwrap_or_default();
        // The length first, so moving bytes from one file to the next changes the hash.
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    hasher.finalize().iter().take(8).map(|byte| format!("{byte:02x}")).collect()
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

    #[test]
    fn the_version_follows_the_content_of_every_file() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().to_str().unwrap();
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        let empty = version(root, "app");
        assert_eq!(empty.len(), 16);
        std::fs::write(site.path().join("pkg/app.wasm"), b"one").unwrap();
        let first = version(root, "app");
        assert_ne!(first, empty);
        assert_eq!(version(root, "app"), first, "the same files give the same version");
        std::fs::write(site.path().join("pkg/app.css"), b"body{}").unwrap();
        assert_ne!(version(root, "app"), first, "the stylesheet counts too");
        std::fs::write(site.path().join("pkg/other.wasm"), b"two").unwrap();
        assert_eq!(version(root, "other"), version(root, "other"));
    }

    #[tokio::test]
    async fn versioned_files_are_served_precompressed_and_kept_for_a_year() {
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("app.wasm"), b"the module").unwrap();
        std::fs::write(pkg.join("app.wasm.br"), b"compressed").unwrap();
        let root = site.path().to_str().unwrap();
        let pkg_dir = versioned_pkg_dir(&version(root, "app"));
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
