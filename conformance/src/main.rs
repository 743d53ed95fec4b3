//! `koffer-conformance`: koffer's outcome for a container, and a runner that
//! checks koffer or another decoder against the test vectors. See the crate
//! documentation and `conformance/README.md`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use koffer_conformance::decoder::Decoder;
use koffer_conformance::outcome::Mode;
use koffer_conformance::runner::{self, Source};

const USAGE: &str = "\
usage:
  koffer-conformance outcome [--mode verifier|records] FILE.koffer
      print koffer's outcome for one container, in the vectors' JSON shape
  koffer-conformance run [--decoder 'CMD ARGS'] [--mode verifier|records]
                         [--timeout SECS] [--max-output BYTES] [DIR]
      check every vector of DIR (default spec/vectors) against koffer, or
      against CMD ARGS run with each vector's path appended (its stdout:
      one JSON outcome); prints PASS/FAIL per vector and `N passed, N failed`;
      exits 0 only if every vector passes, 1 if one fails, 2 on a usage error
";

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("koffer-conformance: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("outcome") => outcome(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command {other:?}")),
        None => usage_error("a command is needed"),
    }
}

/// Options and positional arguments.
#[derive(Default)]
struct Args {
    mode: Option<Mode>,
    decoder: Option<String>,
    timeout: Option<Duration>,
    max_output: Option<usize>,
    positional: Vec<String>,
}

fn parse(args: &[String], allowed: &[&str]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        if !flag.starts_with("--") || flag == "--" {
            if flag == "--" {
                out.positional.extend(it.by_ref().cloned());
            } else {
                out.positional.push(arg.clone());
            }
            continue;
        }
        if !allowed.contains(&flag) {
            return Err(format!("unknown option {flag}"));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))?,
        };
        match flag {
            "--mode" => {
                out.mode = Some(
                    Mode::from_name(&value)
                        .ok_or_else(|| format!("--mode is verifier or records, not {value:?}"))?,
                )
            }
            "--decoder" => out.decoder = Some(value),
            "--timeout" => {
                let secs: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| format!("--timeout takes seconds, not {value:?}"))?;
                out.timeout = Some(Duration::from_secs_f64(secs));
            }
            "--max-output" => {
                out.max_output = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--max-output takes bytes, not {value:?}"))?,
                )
            }
            _ => unreachable!("allowed options are handled"),
        }
    }
    Ok(out)
}

fn outcome(args: &[String]) -> ExitCode {
    let args = match parse(args, &["--mode"]) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    let [file] = args.positional.as_slice() else {
        return usage_error("outcome takes one FILE");
    };
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("koffer-conformance: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    match koffer_conformance::koffer_outcome(&bytes, args.mode.unwrap_or(Mode::Verifier)) {
        Ok(json) => {
            let text = serde_json::to_string_pretty(&json).expect("JSON values serialize");
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("koffer-conformance: koffer contradicts itself on {file}: {e}");
            ExitCode::from(3)
        }
    }
}

/// `spec/vectors` under the current directory, else the one of the source
/// tree this binary was built from.
fn default_dir() -> PathBuf {
    let here = PathBuf::from("spec/vectors");
    if here.is_dir() {
        return here;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors");
    if built.is_dir() {
        built
    } else {
        here
    }
}

fn run(args: &[String]) -> ExitCode {
    let args = match parse(args, &["--mode", "--decoder", "--timeout", "--max-output"]) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    let dir = match args.positional.as_slice() {
        [] => default_dir(),
        [dir] => PathBuf::from(dir),
        _ => return usage_error("run takes at most one DIR"),
    };
    let mode = args.mode.unwrap_or(Mode::Verifier);
    let source = match &args.decoder {
        None => {
            if args.timeout.is_some() || args.max_output.is_some() {
                return usage_error("--timeout and --max-output apply to a --decoder");
            }
            Source::Koffer
        }
        Some(line) => match Decoder::parse(line) {
            Ok(mut d) => {
                d.timeout = args.timeout.unwrap_or(d.timeout);
                d.max_output = args.max_output.unwrap_or(d.max_output);
                Source::Decoder(d)
            }
            Err(e) => return usage_error(&e),
        },
    };
    match runner::vector_names(&dir) {
        Ok(names) if names.is_empty() => {
            eprintln!("koffer-conformance: no vectors in {}", dir.display());
            return ExitCode::from(2);
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("koffer-conformance: cannot list {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let tally = runner::run(&dir, &source, mode, |line| {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    });
    match tally {
        Ok(t) => {
            let _ = writeln!(out, "{} passed, {} failed", t.passed, t.failed);
            if t.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("koffer-conformance: cannot read {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}
