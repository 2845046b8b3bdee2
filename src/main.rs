//! The `flowrun` binary: everything lives in the library.

// Parsing a large flow makes millions of small allocations; mimalloc makes them markedly cheaper.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    flowrun::cli::main()
}
