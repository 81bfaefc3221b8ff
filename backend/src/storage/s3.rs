//! Uploaded files in an S3-compatible bucket, so that every instance sees the same files
//! (docs/decisions/0014-s3-file-storage.md). The rest of the service sees only
//! [`FileStore`]: keys, sweeping and quotas are the same as with the local folder.

use super::FileStore;
use crate::config::S3Settings;
use anyhow::Context;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use std::sync::Arc;
use std::time::Duration;

/// The credential variables AWS's own platforms set (EKS web identity and pod identity, ECS
/// task roles, the EC2 metadata service), taken when no key pair is configured.
const PLATFORM_CREDENTIALS: [AmazonS3ConfigKey; 8] = [
    AmazonS3ConfigKey::WebIdentityTokenFile,
    AmazonS3ConfigKey::RoleArn,
    AmazonS3ConfigKey::RoleSessionName,
    AmazonS3ConfigKey::StsEndpoint,
    AmazonS3ConfigKey::ContainerCredentialsRelativeUri,
    AmazonS3ConfigKey::ContainerCredentialsFullUri,
    AmazonS3ConfigKey::ContainerAuthorizationTokenFile,
    AmazonS3ConfigKey::MetadataEndpoint,
];

impl FileStore {
    /// Files in an S3-compatible bucket, which several instances share. Makes no request:
    /// [`FileStore::check`] does, at start.
    pub fn s3(settings: &S3Settings, quota_bytes: i64) -> anyhow::Result<Self> {
        // object_store's HTTP client uses rustls without a cryptography provider of its own
        // (aws-lc-rs would be a second, slow-to-build one); give it ring, which rustls
        // already has for email. An error means a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_client_options(ClientOptions::new().with_allow_http(settings.allow_http))
            // Uploads and downloads wait on these calls, so a failing store answers within
            // about half a minute rather than object_store's default three.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            });
        builder = match &settings.endpoint {
            // MinIO, Ceph and the like are addressed as `endpoint/bucket/key` (path style):
            // they seldom have a DNS name per bucket.
            Some(endpoint) => builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false),
            // AWS prefers `bucket.s3.region.amazonaws.com`, whose certificate cannot cover
            // a bucket name with dots; those keep the path style.
            None => builder.with_virtual_hosted_style_request(!settings.bucket.contains('.')),
        };
        builder = match &settings.credentials {
            Some(key) => builder
                .with_access_key_id(&key.access_key_id)
                .with_secret_access_key(
                    std::str::from_utf8(key.secret_access_key.expose())
                        .context("FILES_S3_SECRET_ACCESS_KEY is not UTF-8")?,
                ),
            None => {
                let platform = AmazonS3Builder::from_env();
                PLATFORM_CREDENTIALS.into_iter().fold(builder, |b, key| {
                    match platform.get_config_value(&key) {
                        Some(value) => b.with_config(key, value),
                        None => b,
                    }
                })
            }
        };
        let bucket = builder
            .build()
            .with_context(|| format!("configuring the S3 bucket {}", settings.bucket))?;
        let store: Arc<dyn ObjectStore> = if settings.prefix.is_empty() {
            Arc::new(bucket)
        } else {
            Arc::new(PrefixStore::new(bucket, settings.prefix.as_str()))
        };
        let place = format!(
            "s3://{}/{}{}",
            settings.bucket,
            settings.prefix,
            settings
                .endpoint
                .as_deref()
                .map(|e| format!(" at {e}"))
                .unwrap_or_default()
        );
        Ok(Self::new(store, quota_bytes).with_place(place))
    }
}
