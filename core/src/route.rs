//! The route table: method + URL path → what the request asks for. Pure, so every route
//! and every malformed URL is tested natively.

use crate::error::{ApiError, ErrorCode};
use crate::path::{SecretPath, percent_decode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/health` (public; seed 003).
    Health,
    /// `GET /healthz`: the process answers.
    Liveness,
    /// `GET /readyz`: D1 and the Durable Objects answer.
    Readiness,
    /// `POST /v1/admin/tenants` (operator key).
    CreateTenant,
    /// `POST /v1/secrets`.
    CreateSecret,
    /// `GET /v1/secrets/{url-encoded path}`.
    GetSecret(SecretPath),
}

impl Route {
    /// Resolves a request line. Unknown paths are 404, known paths with another method 405
    /// (with the allowed methods in `allow`), undecodable or invalid secret paths 422.
    pub fn resolve(method: &str, url_path: &str) -> Result<Route, ApiError> {
        let segments: Vec<&str> = url_path.trim_start_matches('/').split('/').collect();
        let (route_get, route_post): (Option<Route>, Option<Route>) = match segments.as_slice() {
            ["v1", "health"] => (Some(Route::Health), None),
            ["healthz"] => (Some(Route::Liveness), None),
            ["readyz"] => (Some(Route::Readiness), None),
            ["v1", "admin", "tenants"] => (None, Some(Route::CreateTenant)),
            ["v1", "secrets"] => (None, Some(Route::CreateSecret)),
            ["v1", "secrets", encoded] if !encoded.is_empty() => {
                let decoded = percent_decode(encoded)
                    .map_err(|why| ApiError::invalid_request(why).with("field", "path"))?;
                let path =
                    SecretPath::parse(&decoded).map_err(|why| ApiError::validation("path", why))?;
                (Some(Route::GetSecret(path)), None)
            }
            ["v1", "secrets", first, _, ..] if !first.is_empty() => {
                return Err(ApiError::not_found(format!(
                    "no such route; URL-encode the '/' in a secret path: /v1/secrets/{}",
                    segments.get(2..).map(|s| s.join("%2F")).unwrap_or_default()
                )));
            }
            _ => {
                return Err(ApiError::not_found(format!("no route for {url_path}")));
            }
        };
        let allowed: Vec<&str> = [("GET", &route_get), ("POST", &route_post)]
            .iter()
            .filter(|(_, r)| r.is_some())
            .map(|(m, _)| *m)
            .collect();
        let chosen = match method {
            "GET" | "HEAD" => route_get,
            "POST" => route_post,
            _ => None,
        };
        chosen.ok_or_else(|| {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{method} is not allowed on {url_path}; use {}",
                    allowed.join(", ")
                ),
            )
            .with("allow", allowed.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(path: &str) -> Route {
        Route::GetSecret(SecretPath::parse(path).unwrap())
    }

    #[test]
    fn resolves_every_route() {
        let table = [
            ("GET", "/v1/health", Route::Health),
            ("GET", "/healthz", Route::Liveness),
            ("GET", "/readyz", Route::Readiness),
            ("POST", "/v1/admin/tenants", Route::CreateTenant),
            ("POST", "/v1/secrets", Route::CreateSecret),
            (
                "GET",
                "/v1/secrets/production%2Fopenai%2Fapi-key",
                secret("production/openai/api-key"),
            ),
            ("GET", "/v1/secrets/solo", secret("solo")),
            ("HEAD", "/v1/health", Route::Health),
        ];
        for (method, path, route) in table {
            assert_eq!(Route::resolve(method, path), Ok(route), "{method} {path}");
        }
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in [
            "/",
            "/v1",
            "/v2/secrets",
            "/v1/secretsx",
            "/v1/secrets/",
            "/v1/health/x",
        ] {
            let err = Route::resolve("GET", path).unwrap_err();
            assert_eq!(err.code, ErrorCode::NotFound, "{path}");
        }
    }

    #[test]
    fn raw_slashes_point_at_the_encoded_form() {
        let err = Route::resolve("GET", "/v1/secrets/production/openai/api-key").unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
        assert!(
            err.message
                .contains("/v1/secrets/production%2Fopenai%2Fapi-key"),
            "{}",
            err.message
        );
    }

    #[test]
    fn wrong_method_lists_the_allowed_ones() {
        let err = Route::resolve("DELETE", "/v1/secrets").unwrap_err();
        assert_eq!(err.status(), 405);
        assert_eq!(
            err.details.get("allow").and_then(|v| v.as_str()),
            Some("POST")
        );
        let err = Route::resolve("POST", "/v1/health").unwrap_err();
        assert_eq!(err.status(), 405);
    }

    #[test]
    fn bad_secret_paths_name_the_field() {
        for path in [
            "/v1/secrets/a%2F%2Fb",
            "/v1/secrets/%2E%2E",
            "/v1/secrets/a%00b",
            "/v1/secrets/%zz",
            "/v1/secrets/%C3",
        ] {
            let err = Route::resolve("GET", path).unwrap_err();
            assert!(matches!(err.status(), 400 | 422), "{path}");
            assert_eq!(
                err.details.get("field").and_then(|v| v.as_str()),
                Some("path"),
                "{path}"
            );
        }
    }
}
