//! `fit2koffer IN.fit OUT.koffer`: converts a FIT file into a koffer container.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: fit2koffer IN.fit OUT.koffer");
        return ExitCode::from(2);
    };
    match koffer_convert::convert_file(koffer_convert::Format::Fit, input, output) {
        Ok(report) => {
            koffer_convert::print_report(&report, output);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fit2koffer: {}: {e}", input.display());
            ExitCode::FAILURE
        }
    }
}
