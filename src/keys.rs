//! Generated credentials, in radosgw's alphabets and lengths.

const UPPER_DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// `gen_rand_alphanumeric`'s table: 64 characters, so `-` and `_` too.
const ALNUM_DASH: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
/// `gen_rand_alphanumeric_no_underscore`'s table: `.` where the other has `_`.
const ALNUM_DASH_DOT: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-.";

fn pick(alphabet: &[u8], n: usize) -> String {
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in rand::random::<u64>().to_le_bytes() {
            if (b as usize) < limit && out.len() < n {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// S3 access key: 20 characters of `0-9A-Z`.
pub fn access_key() -> String {
    pick(UPPER_DIGITS, 20)
}

/// S3 or Swift secret: 40 characters of `A-Za-z0-9`.
pub fn secret_key() -> String {
    pick(ALNUM, 40)
}

/// `n` characters of `a-z0-9` (radosgw's id for a lifecycle rule sent without one).
pub fn random_lower_alnum(n: usize) -> String {
    pick(LOWER_DIGITS, n)
}

/// A multipart upload id: `2~` and the 31 characters radosgw's `gen_rand_alphanumeric`
/// writes into its 32-byte buffer (the last byte is the terminating NUL).
pub fn upload_id() -> String {
    let mut s = String::from("2~");
    s.push_str(&pick(ALNUM_DASH, 31));
    s
}

/// An object version id: 31 characters of `0-9A-Za-z-.`, as radosgw 16.2.15 makes them
/// (`gen_rand_alphanumeric_no_underscore` into a 32-byte buffer). Never `null`, which
/// names the null version.
pub fn version_id() -> String {
    pick(ALNUM_DASH_DOT, 31)
}

/// Metadata version tag, like radosgw's 24-character object version tags.
pub fn random_tag() -> String {
    let mut s = String::from("_");
    s.push_str(&pick(ALNUM, 23));
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        let a = super::access_key();
        assert_eq!(a.len(), 20);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        let s = super::secret_key();
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(super::secret_key(), s);
        // As radosgw 16.2.15's: `2~nX8v6mdR7HPUL35TCj1_L76fxSvD-7i`.
        let u = super::upload_id();
        assert_eq!(u.len(), 33);
        assert!(u.starts_with("2~"));
        assert!(u[2..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        // As radosgw 16.2.15's: `fearJxwboSgP9N.snx5j.E9slGL1-Ug`.
        let v = super::version_id();
        assert_eq!(v.len(), 31);
        assert!(v
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.'));
    }
}
