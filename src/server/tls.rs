//! TLS for `--tls-cert`/`--tls-key`: a client that asks for it (`sslmode=require`)
//! gets an encrypted connection; one that does not is served in the clear, as
//! PostgreSQL does with `ssl = on` and no `hostssl` rules.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// A certificate chain and its key, loaded.
#[derive(Clone)]
pub struct Tls {
    pub(super) acceptor: TlsAcceptor,
    /// The certificate file as read: SCRAM's channel binding signs its first
    /// certificate.
    pub(super) cert_pem: Vec<u8>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

impl Tls {
    /// Reads a PEM certificate chain and a PEM private key; an error says which
    /// file is wrong and how.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, String> {
        let cert_pem = std::fs::read(cert).map_err(|e| format!("cannot read {}: {e}", cert.display()))?;
        let certs = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: not a PEM certificate: {e}", cert.display()))?;
        if certs.is_empty() {
            return Err(format!("{}: holds no certificate", cert.display()));
        }
        let key_pem = std::fs::read(key).map_err(|e| format!("cannot read {}: {e}", key.display()))?;
        let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
        // ring rather than aws-lc-rs keeps the build free of a second C toolchain
        // dependency; what ring lacks (and rustls deprecates it for) is only the
        // post-quantum key exchange, so clients fall back to X25519 or P-256.
        #[allow(deprecated)]
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key_der)
            .map_err(|e| format!("{} and {} do not make a TLS identity: {e}", cert.display(), key.display()))?;
        Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)), cert_pem })
    }
}
