//! Salesforce record ids: generation, the 18-char case-safety suffix, and input normalisation.

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The 3-char suffix of a 15-char id, or None when the input is not 15 ASCII alphanumerics.
pub fn suffix(id15: &str) -> Option<String> {
    let bytes = id15.as_bytes();
    if bytes.len() != 15 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut out = String::with_capacity(3);
    for chunk in bytes.chunks(5) {
        // Bit i is set when the i-th char of the chunk is an upper-case letter.
        let bits = chunk
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_uppercase())
            .fold(0usize, |acc, (i, _)| acc | (1 << i));
        out.push(char::from(SUFFIX_ALPHABET[bits]));
    }
    Some(out)
}

/// The 18-char form of a 15-char id.
pub fn to18(id15: &str) -> Option<String> {
    suffix(id15).map(|s| format!("{id15}{s}"))
}

/// A new 18-char id: key prefix, a 12-char base-62 counter, then the suffix.
pub fn make_id(prefix: &str, counter: u64) -> String {
    let mut digits = [b'0'; 12];
    let mut n = counter;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    let mut id15 = String::with_capacity(18);
    id15.push_str(prefix);
    id15.extend(digits.iter().map(|&b| char::from(b)));
    // Prefix and counter are ASCII alphanumerics by construction, so the suffix exists.
    let sfx = suffix(&id15).unwrap_or_default();
    id15.push_str(&sfx);
    id15
}

/// The lookup key of an id given by a caller: its 18-char form, upper-cased (18-char ids
/// compare case-insensitively). None when the input is not a well-formed 15/18-char id.
pub fn key(input: &str) -> Option<String> {
    match input.len() {
        15 => to18(input).map(|id| id.to_ascii_uppercase()),
        18 => {
            let b = input.as_bytes();
            let body_ok = b[..15].iter().all(u8::is_ascii_alphanumeric);
            let sfx_ok = b[15..]
                .iter()
                .all(|c| SUFFIX_ALPHABET.contains(&c.to_ascii_uppercase()));
            (body_ok && sfx_ok).then(|| input.to_ascii_uppercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_example() {
        assert_eq!(
            to18("001A0000006Vm9r").as_deref(),
            Some("001A0000006Vm9rIAC")
        );
    }

    #[test]
    fn all_lower_and_all_upper() {
        assert_eq!(suffix("aaaaaaaaaaaaaaa").as_deref(), Some("AAA"));
        assert_eq!(suffix("AAAAAAAAAAAAAAA").as_deref(), Some("555"));
        // Only the first char of each chunk upper-case: bit 0 → 'B'.
        assert_eq!(suffix("Aaaaaaaaaaaaaaa").as_deref(), Some("BAA"));
        assert_eq!(suffix("aaaaAaaaaaaaaaa").as_deref(), Some("QAA"));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(suffix("001A0000006Vm9").is_none());
        assert!(suffix("001A0000006Vm9!").is_none());
        assert!(key("500").is_none());
        assert!(key("500000000000000000000").is_none());
        assert!(key("500A0000006Vm9r!!!").is_none());
        assert!(key("500A0000006Vm9rIA9").is_none());
    }

    #[test]
    fn generated_ids_round_trip() {
        let id = make_id("500", 1_234_567_890);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("500"));
        assert_eq!(to18(&id[..15]).as_deref(), Some(id.as_str()));
        // 15- and 18-char forms, in any case for the 18-char one, share a key.
        assert_eq!(key(&id[..15]), key(&id));
        assert_eq!(key(&id.to_ascii_lowercase()), key(&id));
        // A 15-char id with different case is a different record.
        assert_ne!(key(&id[..15].to_ascii_lowercase()), key(&id));
    }
}
