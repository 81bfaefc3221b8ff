//! Where uploaded files are kept: the `FILES_S3_*` settings (the table in `config`).

use super::Secret;
use anyhow::bail;

/// Where uploaded files are kept (docs/operations.md, "Uploaded files").
#[derive(Debug, Clone, Default)]
pub enum FileStorage {
    /// `DATA_DIR/files` on this machine: the embedded default, for one instance (or several
    /// that share that folder).
    #[default]
    Local,
    /// A bucket in an S3-compatible store, which every instance shares.
    S3(S3Settings),
}

/// An S3-compatible bucket: AWS S3, or MinIO, Ceph, Garage and the like at `endpoint`.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// The bucket; it must exist (the service never creates one).
    pub bucket: String,
    /// The service's address, e.g. `https://minio.internal:9000`, reached with path-style
    /// requests (`endpoint/bucket/key`); `None` is AWS S3 itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// Every key starts with this (no slashes at either end); empty for the bucket's root.
    pub prefix: String,
    /// A static key pair; `None` takes the platform's role, as AWS's SDKs find it.
    pub credentials: Option<S3Credentials>,
    /// Whether `endpoint` may be plain `http://`.
    pub allow_http: bool,
}

/// An access key for the bucket.
#[derive(Debug, Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl FileStorage {
    /// Reads the `FILES_S3_*` variables through `var` (unset or blank gives `None`): none
    /// set keeps files in the local folder. Names the variable when a value cannot be used.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        const ALL: [&str; 7] = [
            "FILES_S3_BUCKET",
            "FILES_S3_ENDPOINT",
            "FILES_S3_REGION",
            "FILES_S3_PREFIX",
            "FILES_S3_ACCESS_KEY_ID",
            "FILES_S3_SECRET_ACCESS_KEY",
            "FILES_S3_ALLOW_HTTP",
        ];
        let Some(bucket) = var("FILES_S3_BUCKET") else {
            // A half-configured store must not quietly fall back to a local folder that
            // other instances cannot see.
            if let Some(set) = ALL.iter().find(|name| var(name).is_some()) {
                bail!(
                    "{set} is set but FILES_S3_BUCKET is not: set FILES_S3_BUCKET to keep uploaded files in S3-compatible storage, or unset the FILES_S3_ variables to keep them in DATA_DIR/files"
                );
            }
            return Ok(Self::Local);
        };
        let bucket = bucket.trim().to_string();
        if !valid_bucket_name(&bucket) {
            bail!(
                "FILES_S3_BUCKET must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit (got {bucket:?})"
            );
        }
        let allow_http = match var("FILES_S3_ALLOW_HTTP").as_deref().map(str::trim) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => bail!("FILES_S3_ALLOW_HTTP must be true or false (got {other:?})"),
        };
        let endpoint = var("FILES_S3_ENDPOINT")
            .map(|e| s3_endpoint(e.trim(), allow_http))
            .transpose()?;
        let region = var("FILES_S3_REGION").unwrap_or_else(|| "us-east-1".into());
        let region = region.trim().to_string();
        if !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!(
                "FILES_S3_REGION must be a region name such as eu-west-2 (letters, digits and hyphens; got {region:?})"
            );
        }
        let prefix = var("FILES_S3_PREFIX").unwrap_or_default();
        let prefix = prefix.trim().trim_matches('/').to_string();
        if !prefix.is_empty()
            && !prefix.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            })
        {
            bail!(
                "FILES_S3_PREFIX must be folder names of letters, digits, '-', '_' and '.' separated by '/', such as commissioning/production (got {prefix:?})"
            );
        }
        let credentials = match (
            var("FILES_S3_ACCESS_KEY_ID"),
            var("FILES_S3_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Some(S3Credentials {
                access_key_id: id.trim().to_string(),
                secret_access_key: Secret::new(secret.trim().as_bytes().to_vec()),
            }),
            (None, None) => None,
            (Some(_), None) => bail!(
                "FILES_S3_ACCESS_KEY_ID is set but FILES_S3_SECRET_ACCESS_KEY is not: set both, or neither to use the platform's credentials"
            ),
            (None, Some(_)) => bail!(
                "FILES_S3_SECRET_ACCESS_KEY is set but FILES_S3_ACCESS_KEY_ID is not: set both, or neither to use the platform's credentials"
            ),
        };
        Ok(Self::S3(S3Settings {
            bucket,
            allow_http: endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://")),
            endpoint,
            region,
            prefix,
            credentials,
        }))
    }
}

/// AWS's bucket naming rules, which MinIO and Ceph also apply to new buckets.
fn valid_bucket_name(name: &str) -> bool {
    let edges_ok =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edges_ok(name.chars().next())
        && edges_ok(name.chars().last())
        && !name.contains("..")
}

/// Checks `FILES_S3_ENDPOINT` and returns it without a trailing slash. Plain `http://`
/// would send every file (and each request's signature) in the clear, so it is refused
/// unless the host is this machine or `FILES_S3_ALLOW_HTTP` says the network is private.
fn s3_endpoint(endpoint: &str, allow_http: bool) -> anyhow::Result<String> {
    let url = url::Url::parse(endpoint).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
            && u.username().is_empty()
            && u.password().is_none()
    });
    let Some(url) = url else {
        bail!(
            "FILES_S3_ENDPOINT must be an http:// or https:// address such as https://minio.internal:9000, without credentials, query or fragment (got {endpoint:?}); put the key pair in FILES_S3_ACCESS_KEY_ID and FILES_S3_SECRET_ACCESS_KEY"
        );
    };
    if url.scheme() == "http" && !allow_http {
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if !loopback {
            bail!(
                "FILES_S3_ENDPOINT is plain http:// to {}, which would send files and signed requests unencrypted: use https://, or set FILES_S3_ALLOW_HTTP=true if the network between is private",
                url.host_str().unwrap_or_default()
            );
        }
    }
    Ok(endpoint.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(vars: &[(&str, &str)]) -> anyhow::Result<FileStorage> {
        FileStorage::from_vars(|name| {
            vars.iter()
                .find(|(k, v)| *k == name && !v.trim().is_empty())
                .map(|(_, v)| v.to_string())
        })
    }

    fn refusal(vars: &[(&str, &str)]) -> String {
        format!("{:#}", storage(vars).unwrap_err())
    }

    #[test]
    fn files_stay_in_the_local_folder_unless_a_bucket_is_named() {
        assert!(matches!(storage(&[]), Ok(FileStorage::Local)));
        assert!(matches!(
            storage(&[("FILES_S3_BUCKET", " ")]),
            Ok(FileStorage::Local)
        ));
        // Half a configuration is refused rather than quietly kept on one machine.
        let why = refusal(&[("FILES_S3_ENDPOINT", "https://minio.internal:9000")]);
        assert!(
            why.starts_with("FILES_S3_ENDPOINT is set but FILES_S3_BUCKET is not"),
            "{why}"
        );
    }

    #[test]
    fn an_s3_compatible_store_is_read_with_sensible_defaults() {
        let Ok(FileStorage::S3(s3)) = storage(&[
            ("FILES_S3_BUCKET", "council-uploads"),
            ("FILES_S3_ENDPOINT", "https://minio.internal:9000/"),
            ("FILES_S3_PREFIX", "/commissioning/production/"),
            ("FILES_S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("FILES_S3_SECRET_ACCESS_KEY", "very-secret"),
        ]) else {
            panic!("an S3 store")
        };
        assert_eq!(s3.bucket, "council-uploads");
        assert_eq!(s3.endpoint.as_deref(), Some("https://minio.internal:9000"));
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.prefix, "commissioning/production");
        assert!(!s3.allow_http);
        let credentials = s3.credentials.expect("a key pair");
        assert_eq!(credentials.secret_access_key.expose(), b"very-secret");
        assert!(!format!("{credentials:?}").contains("very-secret"));
        // AWS itself, with the platform's role.
        let Ok(FileStorage::S3(aws)) = storage(&[
            ("FILES_S3_BUCKET", "council-uploads"),
            ("FILES_S3_REGION", "eu-west-2"),
        ]) else {
            panic!("an S3 store")
        };
        assert_eq!((aws.endpoint, aws.region.as_str()), (None, "eu-west-2"));
        assert!(aws.credentials.is_none());
    }

    #[test]
    fn plain_http_is_only_for_this_machine_or_when_allowed() {
        for local in [
            "http://127.0.0.1:9000",
            "http://localhost:9000",
            "http://[::1]:9000",
        ] {
            let Ok(FileStorage::S3(s3)) =
                storage(&[("FILES_S3_BUCKET", "uploads"), ("FILES_S3_ENDPOINT", local)])
            else {
                panic!("{local} is allowed")
            };
            assert!(s3.allow_http);
        }
        let remote = [
            ("FILES_S3_BUCKET", "uploads"),
            ("FILES_S3_ENDPOINT", "http://minio.internal:9000"),
        ];
        let why = refusal(&remote);
        assert!(
            why.contains("FILES_S3_ENDPOINT is plain http:// to minio.internal"),
            "{why}"
        );
        assert!(why.contains("FILES_S3_ALLOW_HTTP=true"), "{why}");
        let allowed = [remote[0], remote[1], ("FILES_S3_ALLOW_HTTP", "true")];
        assert!(matches!(storage(&allowed), Ok(FileStorage::S3(s)) if s.allow_http));
    }

    #[test]
    fn each_unusable_value_is_refused_naming_its_variable() {
        let bucket = ("FILES_S3_BUCKET", "uploads");
        for (vars, starts) in [
            (
                vec![("FILES_S3_BUCKET", "Council_Uploads")],
                "FILES_S3_BUCKET must",
            ),
            (vec![("FILES_S3_BUCKET", "ab")], "FILES_S3_BUCKET must"),
            (
                vec![bucket, ("FILES_S3_ENDPOINT", "minio:9000")],
                "FILES_S3_ENDPOINT must",
            ),
            (
                vec![bucket, ("FILES_S3_ENDPOINT", "https://key:secret@minio")],
                "FILES_S3_ENDPOINT must",
            ),
            (
                vec![bucket, ("FILES_S3_REGION", "eu west")],
                "FILES_S3_REGION must",
            ),
            (
                vec![bucket, ("FILES_S3_PREFIX", "a/../b")],
                "FILES_S3_PREFIX must",
            ),
            (
                vec![bucket, ("FILES_S3_ALLOW_HTTP", "yes")],
                "FILES_S3_ALLOW_HTTP must",
            ),
            (
                vec![bucket, ("FILES_S3_ACCESS_KEY_ID", "AKIAEXAMPLE")],
                "FILES_S3_ACCESS_KEY_ID is set but FILES_S3_SECRET_ACCESS_KEY is not",
            ),
            (
                vec![bucket, ("FILES_S3_SECRET_ACCESS_KEY", "s")],
                "FILES_S3_SECRET_ACCESS_KEY is set but FILES_S3_ACCESS_KEY_ID is not",
            ),
        ] {
            let why = refusal(&vars);
            assert!(why.starts_with(starts), "{vars:?}: {why}");
        }
    }
}
