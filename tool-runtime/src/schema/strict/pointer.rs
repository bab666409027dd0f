//! JSON pointers: building one segment at a time, and decoding `$ref` fragments.

/// `path` extended by one JSON pointer segment.
pub(super) fn child(path: &str, segment: &str) -> String {
    format!("{path}/{}", segment.replace('~', "~0").replace('/', "~1"))
}

/// Decodes `%XX` escapes in a URI fragment; `None` if the result is not UTF-8.
pub(super) fn percent_decode(text: &str) -> Option<String> {
    fn hex(byte: Option<&u8>) -> Option<u8> {
        let digit = char::from(*byte?).to_digit(16)?;
        u8::try_from(digit).ok()
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%'
            && let (Some(high), Some(low)) = (hex(bytes.get(index + 1)), hex(bytes.get(index + 2)))
        {
            decoded.push(high * 16 + low);
            index += 3;
            continue;
        }
        decoded.push(byte);
        index += 1;
    }
    String::from_utf8(decoded).ok()
}
