//! Runs another implementation's decoder on one container, with a time limit
//! and a bound on the output it reads.

use std::io::{self, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

/// How long a decoder may take per container by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much standard output is read by default: 16 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 16 << 20;
/// How much standard error is kept for messages (the rest is drained).
const MAX_STDERR: u64 = 64 << 10;

/// A decoder command: the program and its arguments, to which each
/// container's path is appended.
///
/// ```
/// use koffer_conformance::decoder::Decoder;
/// let d = Decoder::parse("python3 my_reader.py --json 'two words'").unwrap();
/// assert_eq!(d.argv, ["python3", "my_reader.py", "--json", "two words"]);
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Time allowed per container; the decoder is killed after it.
    pub timeout: Duration,
    /// Bytes of standard output read at most; more is a failure.
    pub max_output: usize,
}

/// Splits a command line into words, as a POSIX shell would without
/// expansions: blanks separate words, `'…'` is literal, `"…"` and a
/// backslash outside quotes escape.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("unterminated ' in the decoder command".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("unterminated \" in the decoder command".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("unterminated \" in the decoder command".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("a \\ ends the decoder command".into()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    if words.is_empty() {
        return Err("the decoder command is empty".into());
    }
    Ok(words)
}

impl Decoder {
    /// A decoder from a command line (see [`split_words`]) with the default
    /// time limit and output bound.
    pub fn parse(line: &str) -> Result<Decoder, String> {
        Ok(Decoder {
            argv: split_words(line)?,
            timeout: DEFAULT_TIMEOUT,
            max_output: DEFAULT_MAX_OUTPUT,
        })
    }

    /// Runs the decoder on `container` and parses its standard output as one
    /// JSON value. Its exit status is not judged (a decoder may exit
    /// non-zero for a rejected container); its standard input is empty.
    /// `Err` says why there is no outcome: it could not start, timed out,
    /// wrote too much, or wrote no JSON.
    pub fn outcome(&self, container: &Path) -> Result<Json, String> {
        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .arg(container)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so that a timeout also ends what it started.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start decoder {:?}: {e}", self.argv[0]))?;
        let deadline = Instant::now() + self.timeout;

        enum Msg {
            Stdout(io::Result<Vec<u8>>),
            Stderr(Vec<u8>),
        }
        let (tx, rx) = mpsc::channel();
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let limit = (self.max_output as u64).saturating_add(1);
        let to = tx.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let r = stdout
                .by_ref()
                .take(limit)
                .read_to_end(&mut buf)
                .map(|_| buf);
            let _ = to.send(Msg::Stdout(r));
        });
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.by_ref().take(MAX_STDERR).read_to_end(&mut buf);
            let _ = io::copy(&mut stderr, &mut io::sink());
            let _ = tx.send(Msg::Stderr(buf));
        });

        let (mut out, mut err) = (None, None);
        while out.is_none() || err.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Msg::Stdout(Ok(b))) if b.len() > self.max_output => {
                    kill(&mut child);
                    return Err(format!(
                        "decoder wrote more than {} bytes to stdout (killed)",
                        self.max_output
                    ));
                }
                Ok(Msg::Stdout(r)) => {
                    out = Some(r.map_err(|e| format!("cannot read the decoder's stdout: {e}"))?)
                }
                Ok(Msg::Stderr(b)) => err = Some(b),
                Err(_) => {
                    kill(&mut child);
                    return Err(self.timed_out());
                }
            }
        }
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
                Ok(None) => {
                    kill(&mut child);
                    return Err(self.timed_out());
                }
                Err(e) => {
                    kill(&mut child);
                    return Err(format!("cannot wait for the decoder: {e}"));
                }
            }
        };
        // It exited: end what it left running in its group (a background
        // child would otherwise outlive the run).
        kill_group(&child);
        let (out, err) = (out.unwrap_or_default(), err.unwrap_or_default());
        serde_json::from_slice(&out).map_err(|e| {
            let what = if out.iter().all(u8::is_ascii_whitespace) {
                "decoder printed no JSON".to_owned()
            } else {
                format!("decoder output is not one JSON value ({e})")
            };
            format!("{what}; {}{}", describe(status), stderr_line(&err))
        })
    }

    fn timed_out(&self) -> String {
        format!(
            "decoder timed out after {} s (killed)",
            self.timeout.as_secs_f64()
        )
    }
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => format!("{status}"),
    }
}

/// The first line of standard error, if any, for a message.
fn stderr_line(err: &[u8]) -> String {
    let text = String::from_utf8_lossy(err);
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => {
            let line: String = line.chars().take(200).collect();
            format!("; stderr: {line}")
        }
        None => String::new(),
    }
}

/// Ends everything in the decoder's process group (whose id is the
/// decoder's process id).
fn kill_group(child: &Child) {
    #[cfg(unix)]
    {
        // std has no killpg: the `kill` utility signals the group.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// Ends the decoder and everything in its process group, and reaps it.
fn kill(child: &mut Child) {
    kill_group(child);
    let _ = child.kill();
    let _ = child.wait();
}
