//! HTTPS: rustls with the ring crypto provider, verifying servers against the platform's trust
//! store (as reqwest does by default, without the C toolchain its default provider needs).

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;

/// The TLS configuration every client of the process starts from, built once: loading the
/// platform's root certificates reads them from disk.
pub(super) fn config() -> ClientConfig {
    static CONFIG: OnceLock<ClientConfig> = OnceLock::new();
    CONFIG.get_or_init(build).clone()
}

fn build() -> ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    match rustls_platform_verifier::Verifier::new(provider) {
        Ok(verifier) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth(),
        Err(error) => {
            // Plain HTTP (a local server) still works; HTTPS fails at the handshake, which names
            // the certificate it could not verify.
            tracing::warn!(%error, "no trusted root certificates found: HTTPS requests will fail");
            builder
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        }
    }
}
