//! The `flowrun` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    flowrun::cli::main()
}
