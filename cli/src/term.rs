//! The terminal: whether streams are terminals, its width, a prompt that does not echo, the
//! value read from standard input, and a spinner on standard error.

use crate::error::CliError;
use crate::secret::Secret;
use std::io::{IsTerminal as _, Read as _, Write as _};
use std::time::Instant;
use zeroize::Zeroizing;

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

/// The terminal's width when standard output is one; `None` when it is piped.
pub fn width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_columns().or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
}

#[cfg(unix)]
fn terminal_columns() -> Option<usize> {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|size| usize::from(size.ws_col))
        .filter(|c| *c > 0)
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

/// Asks on standard error and reads one line from the terminal without echoing it.
pub fn prompt_hidden(prompt: &str) -> Result<Secret, CliError> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let restore = echo_off();
    let mut line = Zeroizing::new(String::new());
    let read = std::io::stdin().read_line(&mut line);
    restore_echo(restore);
    let _ = writeln!(stderr);
    read.map_err(|e| CliError::usage(format!("cannot read from the terminal: {e}")))?;
    Ok(Secret::new(line.trim_end_matches(['\n', '\r']).to_owned()))
}

#[cfg(unix)]
type Saved = Option<rustix::termios::Termios>;
#[cfg(not(unix))]
type Saved = ();

#[cfg(unix)]
fn echo_off() -> Saved {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).ok()?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &quiet).ok()?;
    Some(saved)
}

#[cfg(unix)]
fn restore_echo(saved: Saved) {
    if let Some(saved) = saved {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &saved,
        );
    }
}

#[cfg(not(unix))]
fn echo_off() -> Saved {}

#[cfg(not(unix))]
fn restore_echo(_saved: Saved) {}

/// A value from standard input (one trailing newline dropped), or from a hidden prompt when
/// standard input is a terminal. `what` names it in messages.
pub fn read_value(what: &str) -> Result<Secret, CliError> {
    if stdin_is_tty() {
        let value = prompt_hidden(&format!("{what} (input hidden): "))?;
        if value.is_empty() {
            return Err(CliError::usage(format!("no {what} entered")));
        }
        return Ok(value);
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::usage(format!("cannot read standard input: {e}")))?;
    let value = value_from_bytes(&bytes, true, what)?;
    if value.is_empty() {
        return Err(CliError::usage_hint(
            format!("standard input is empty; expected the {what}"),
            "pipe it in (`printf %s \"$VALUE\" | latchkey …`), or use --value-file FILE",
        ));
    }
    Ok(value)
}

/// UTF-8 text from bytes; `strip_newline` drops one trailing `\n` or `\r\n`.
pub fn value_from_bytes(bytes: &[u8], strip_newline: bool, what: &str) -> Result<Secret, CliError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        CliError::usage_hint(
            format!("the {what} is not UTF-8 text"),
            "store binary data base64-encoded",
        )
    })?;
    let text = if strip_newline {
        text.strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text)
    } else {
        text
    };
    Ok(Secret::new(text.to_owned()))
}

/// A spinner on standard error while waiting. On a terminal it redraws one line; otherwise
/// it writes a line only when the status changes.
pub struct Spinner {
    live: bool,
    frame: usize,
    started: Instant,
    last_status: String,
}

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Spinner {
    pub fn new() -> Spinner {
        Spinner {
            live: stderr_is_tty(),
            frame: 0,
            started: Instant::now(),
            last_status: String::new(),
        }
    }

    pub fn tick(&mut self, status: &str) {
        let mut stderr = std::io::stderr().lock();
        if self.live {
            let frame = FRAMES
                .get(self.frame % FRAMES.len())
                .copied()
                .unwrap_or("*");
            self.frame = self.frame.wrapping_add(1);
            let secs = self.started.elapsed().as_secs();
            let _ = write!(
                stderr,
                "\r\x1b[2K{frame} {status} ({}:{:02})",
                secs / 60,
                secs % 60
            );
            let _ = stderr.flush();
        } else if status != self.last_status {
            let _ = writeln!(stderr, "{status}");
        }
        self.last_status = status.to_owned();
    }

    /// Clears the spinner's line.
    pub fn clear(&mut self) {
        if self.live {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_dropped() {
        let v = value_from_bytes(b"abc\n\n", true, "value").unwrap();
        assert_eq!(v.expose(), "abc\n");
        let v = value_from_bytes(b"abc\r\n", true, "value").unwrap();
        assert_eq!(v.expose(), "abc");
        let v = value_from_bytes(b"abc\n", false, "value").unwrap();
        assert_eq!(v.expose(), "abc\n");
        assert!(value_from_bytes(&[0xff, 0xfe], true, "value").is_err());
    }
}
