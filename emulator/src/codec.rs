//! Percent-decoding of path segments and query strings. Written by hand so
//! that each segment is decoded exactly once and encoded slashes survive.

/// Decodes `%XX` escapes once. A `%` not followed by two hex digits stays
/// literal (lenient, like most servers). Fails when the bytes are not UTF-8.
pub fn percent_decode(raw: &str) -> Result<String, String> {
    String::from_utf8(percent_decode_bytes(raw))
        .map_err(|_| format!("path or query is not UTF-8 after decoding: {raw}"))
}

/// [`percent_decode`] to bytes, whatever their encoding.
pub fn percent_decode_bytes(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses `a=1&b=x%20y` into decoded pairs; `+` means a space, as in forms.
pub fn parse_query(raw: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((
                percent_decode(&k.replace('+', " "))?,
                percent_decode(&v.replace('+', " "))?,
            ))
        })
        .collect()
}

/// Lower-case hex of bytes.
pub fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_once() {
        assert_eq!(percent_decode("a%2Fb").unwrap(), "a/b");
        assert_eq!(percent_decode("%252e").unwrap(), "%2e");
        assert_eq!(percent_decode("100%").unwrap(), "100%");
        assert_eq!(percent_decode("%zz%4").unwrap(), "%zz%4");
        assert_eq!(percent_decode("%F0%9F%91%8D").unwrap(), "👍");
        assert!(percent_decode("%FF").is_err());
    }

    #[test]
    fn parses_query() {
        let q = parse_query(Some("limit=5&startingAfter=a%26b&x=1+2&flag")).unwrap();
        assert_eq!(q[0], ("limit".into(), "5".into()));
        assert_eq!(q[1].1, "a&b");
        assert_eq!(q[2].1, "1 2");
        assert_eq!(q[3], ("flag".into(), String::new()));
    }
}
