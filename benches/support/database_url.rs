//! The URL of a benchmark's own database on the server under test.

/// `server` with its database path replaced by `name` (query parameters kept).
pub fn database_url(server: &str, name: &str) -> String {
    let (base, query) = server.split_at(server.find('?').unwrap_or(server.len()));
    let host = base.find("://").map_or(0, |i| i + 3);
    let end = base[host..].find('/').map_or(base.len(), |i| host + i);
    format!("{}/{name}{query}", &base[..end])
}
