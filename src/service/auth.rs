//! Bearer-token authentication. Tokens map to principals; sessions belong to the principal
//! that created them. With no tokens configured every caller is the principal "anonymous"
//! (and `gradd serve` then refuses non-loopback addresses unless told `--insecure`).

use std::sync::Arc;
use tonic::{Request, Status};

/// Who made a request, put in the request's extensions by the interceptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal(pub String);

/// The principal of a request ("anonymous" when auth is off).
pub fn principal_of<T>(req: &Request<T>) -> String {
    req.extensions()
        .get::<Principal>()
        .map(|p| p.0.clone())
        .unwrap_or_else(|| "anonymous".into())
}

/// Configured tokens: (principal, token) pairs.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    entries: Vec<(String, String)>,
}

impl Tokens {
    /// Parses `principal:token` (or `principal=token`) entries separated by commas or
    /// newlines; `#` starts a comment line. A bare token is its own principal.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut entries = Vec::new();
        for raw in text.split([',', '\n']) {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (p, t) = match line.split_once([':', '=']) {
                Some((p, t)) => (p.trim().to_string(), t.trim().to_string()),
                None => (line.to_string(), line.to_string()),
            };
            if t.len() < 8 {
                return Err(format!("token for {p:?} is too short (at least 8 characters)"));
            }
            entries.push((p, t));
        }
        if entries.is_empty() {
            return Err("no tokens found".into());
        }
        Ok(Tokens { entries })
    }

    /// The principal owning `token`. Compares every entry in constant time per byte, so the
    /// time taken does not reveal how much of a token matched.
    pub fn principal(&self, token: &str) -> Option<String> {
        let mut found = None;
        for (p, t) in &self.entries {
            if ct_eq(t.as_bytes(), token.as_bytes()) {
                found = Some(p.clone());
            }
        }
        found
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The tonic interceptor: UNAUTHENTICATED without a valid `authorization: Bearer <token>`.
pub fn interceptor(
    tokens: Option<Arc<Tokens>>,
) -> impl Fn(Request<()>) -> Result<Request<()>, Status> + Clone {
    move |mut req: Request<()>| {
        let Some(tokens) = &tokens else { return Ok(req) };
        let header = req.metadata().get("authorization").and_then(|v| v.to_str().ok());
        let token = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")));
        let Some(token) = token else {
            return Err(Status::unauthenticated(
                "missing bearer token: send `authorization: Bearer <token>`",
            ));
        };
        match tokens.principal(token.trim()) {
            Some(p) => {
                req.extensions_mut().insert(Principal(p));
                Ok(req)
            }
            None => Err(Status::unauthenticated("invalid bearer token")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_and_finds_principals() {
        let t = Tokens::parse("# team\nalice:secret-aaaa\nbob=secret-bbbb, solo-token-1").expect("parse");
        assert_eq!(t.principal("secret-aaaa").as_deref(), Some("alice"));
        assert_eq!(t.principal("secret-bbbb").as_deref(), Some("bob"));
        assert_eq!(t.principal("solo-token-1").as_deref(), Some("solo-token-1"));
        assert_eq!(t.principal("secret-aaab"), None);
        assert!(Tokens::parse("x:short").is_err());
        assert!(Tokens::parse("\n# nothing\n").is_err());
    }
}
