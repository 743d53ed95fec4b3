//! `koffer`: inspect, verify, export and import koffer containers (the
//! command lives in the `koffer_cli` library, which fuzz targets also use).

fn main() -> std::process::ExitCode {
    koffer_cli::run()
}
