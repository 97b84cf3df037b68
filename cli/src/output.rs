//! What people and scripts read: aligned tables that fit the terminal, JSON for scripts, and
//! writes that end quietly when the reader goes away (`latchkey list | head -1`).

use crate::error::CliError;
use serde_json::Value;
use std::io::Write as _;

/// Writes `text` to standard output and flushes (so `audit tail` lines arrive at once).
pub fn out(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Bytes to standard output exactly as they are (an upstream's body through the broker).
pub fn out_bytes(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(())
}

/// `text` and a newline.
pub fn line(text: &str) -> Result<(), CliError> {
    out(&format!("{text}\n"))
}

/// A status message for people, on standard error (never mixed into piped output).
pub fn note(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// The API's JSON, pretty-printed.
pub fn json(value: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("cannot print JSON: {e}")))?;
    line(&text)
}

/// Text from the server shown to a person: control characters (newlines, terminal escape
/// sequences someone stored in a description) cannot reach the terminal.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' | '\r' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

/// A string member, cleaned, or `-`.
pub fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(s)) => clean(s),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => "-".to_owned(),
    }
}

/// `2025-01-15T10:30:00.123Z` → `2025-01-15 10:30Z`; anything else as it is.
pub fn when(value: &Value, key: &str) -> String {
    match value.get(key).and_then(Value::as_str) {
        Some(ts) => short_time(ts),
        None => "-".to_owned(),
    }
}

pub fn short_time(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..16), ts.ends_with('Z')) {
        (Some(date), Some(time), true) if ts.get(10..11) == Some("T") => {
            format!("{date} {time}Z")
        }
        _ => clean(ts),
    }
}

/// A scope member (a string or a list of strings), joined with `, `.
pub fn scopes(value: &Value) -> String {
    match value {
        Value::String(s) => clean(s),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(clean)
            .collect::<Vec<_>>()
            .join(", "),
        _ => "-".to_owned(),
    }
}

/// Columns aligned with two spaces between them. Some columns may be marked flexible: when
/// the table is wider than the terminal they are shortened (with `…`) to fit, the first
/// named first, none below a readable minimum.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    flex: Vec<usize>,
}

const GAP: usize = 2;
const MIN_FLEX: usize = 10;

fn width_of(text: &str) -> usize {
    text.chars().count()
}

fn truncate(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
            flex: Vec::new(),
        }
    }

    /// The columns that give way when the terminal is narrow, in order.
    pub fn flex(mut self, columns: &[usize]) -> Table {
        self.flex = columns.to_vec();
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.iter().map(|c| clean(c)).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text; `width` is the terminal's (none when output is piped: nothing is
    /// cut).
    pub fn render(&self, width: Option<usize>) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width_of(h)).collect();
        for row in &self.rows {
            for (slot, cell) in widths.iter_mut().zip(row) {
                *slot = (*slot).max(width_of(cell));
            }
        }
        if let Some(limit) = width {
            for &column in &self.flex {
                let total: usize = widths.iter().sum::<usize>() + GAP * columns.saturating_sub(1);
                if total <= limit {
                    break;
                }
                if let Some(slot) = widths.get_mut(column) {
                    let others = total - *slot;
                    *slot = limit.saturating_sub(others).max(MIN_FLEX).min(*slot);
                }
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(self.rows.iter()) {
            let mut line = String::new();
            for (index, width) in widths.iter().enumerate() {
                let cell = row.get(index).map_or("", String::as_str);
                let cell = truncate(cell, *width);
                if index + 1 == columns {
                    line.push_str(&cell);
                } else {
                    line.push_str(&cell);
                    line.push_str(&" ".repeat(width - width_of(&cell) + GAP));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Table {
        let mut table = Table::new(&["PATH", "VERSION", "DESCRIPTION"]).flex(&[2]);
        table.row(vec![
            "prod/db".into(),
            "3".into(),
            "the main database password".into(),
        ]);
        table.row(vec!["a".into(), "12".into(), "-".into()]);
        table
    }

    #[test]
    fn columns_are_aligned() {
        assert_eq!(
            sample().render(None),
            "PATH     VERSION  DESCRIPTION\n\
             prod/db  3        the main database password\n\
             a        12       -\n"
        );
    }

    #[test]
    fn the_flexible_column_shrinks_to_the_terminal() {
        let text = sample().render(Some(36));
        for line in text.lines() {
            assert!(line.chars().count() <= 36, "{line:?}");
        }
        assert!(
            text.contains("prod/db  3        the main database…"),
            "{text}"
        );
        // Never below a readable minimum, even on a tiny terminal.
        assert!(sample().render(Some(5)).contains("the main …"));
        // The next flexible column gives way when the first is at its minimum.
        let mut wide = Table::new(&["A", "B"]).flex(&[1, 0]);
        wide.row(vec!["a".repeat(30), "b".repeat(30)]);
        let text = wide.render(Some(30));
        assert!(text.lines().all(|l| l.chars().count() <= 30), "{text}");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut table = Table::new(&["A"]);
        table.row(vec!["evil\x1b[2Jtext\nnext".into()]);
        let text = table.render(None);
        assert!(!text.contains('\x1b'));
        assert!(text.contains("evil?[2Jtext next"));
    }

    #[test]
    fn times_and_scopes() {
        assert_eq!(short_time("2025-01-15T10:30:00.123Z"), "2025-01-15 10:30Z");
        assert_eq!(short_time("soon"), "soon");
        assert_eq!(scopes(&json!(["a:b", "c"])), "a:b, c");
        assert_eq!(scopes(&json!("a")), "a");
        assert_eq!(text(&json!({"n": 3}), "n"), "3");
        assert_eq!(text(&json!({}), "n"), "-");
    }
}
