//! Line and column arithmetic for editors: a byte offset of a text to a
//! `(line, character)` position and back, where a character is counted in UTF-8 bytes
//! or in UTF-16 code units (the Language Server Protocol's default), both 0-based. A
//! position past the end of a line or of the text is clamped to it; a column inside a
//! character moves to that character's start.

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The start of every line of a text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// From a `SourceFile`'s own table of line starts.
    pub fn from_starts(starts: &[usize]) -> LineIndex {
        LineIndex {
            starts: starts.to_vec(),
        }
    }

    /// The 0-based line and column of byte `offset` of `text`.
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> (u32, u32) {
        let offset = floor_char(text, offset.min(text.len()));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let before = &text[start..offset];
        let column = match encoding {
            Encoding::Utf8 => before.len(),
            Encoding::Utf16 => before.encode_utf16().count(),
        };
        (to_u32(line), to_u32(column))
    }

    /// The byte offset of a 0-based `(line, column)` of `text`.
    pub fn offset(&self, text: &str, line: u32, column: u32, encoding: Encoding) -> usize {
        let Some(&start) = self.starts.get(line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(line as usize + 1)
            .map_or(text.len(), |&next| next - 1);
        let line_text = &text[start..end];
        let mut remaining = column as usize;
        for (i, c) in line_text.char_indices() {
            let width = match encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if remaining < width {
                return start + i;
            }
            remaining -= width;
        }
        end
    }
}

fn floor_char(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::{Encoding, LineIndex};

    /// A comment with `é` (2 bytes, 1 UTF-16 unit) and `𝄞` (4 bytes, 2 units) before
    /// a name: the columns differ by encoding and both round-trip.
    #[test]
    fn columns_by_encoding_round_trip() {
        let text = "// é𝄞\nx // é𝄞 api\n";
        let index = LineIndex::new(text);
        let api = text.find("api").unwrap_or_default();
        assert_eq!(index.position(text, api, Encoding::Utf8), (1, 12));
        assert_eq!(index.position(text, api, Encoding::Utf16), (1, 9));
        assert_eq!(index.offset(text, 1, 12, Encoding::Utf8), api);
        assert_eq!(index.offset(text, 1, 9, Encoding::Utf16), api);
        // Past the end of a line: its end; past the last line: the end of the text.
        assert_eq!(index.offset(text, 0, 99, Encoding::Utf16), 9);
        assert_eq!(index.offset(text, 9, 0, Encoding::Utf16), text.len());
        // Inside the surrogate pair: the character's start.
        assert_eq!(index.offset(text, 0, 5, Encoding::Utf16), 5);
    }
}
