//! SVG and PNG through Graphviz's `dot`, run with an argv (never a shell).

use std::io::Write;
use std::process::{Command, Stdio};

use thiserror::Error;

/// An image format `dot` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Image {
    /// `-Tsvg`
    Svg,
    /// `-Tpng`
    Png,
}

/// Why `dot` could not make the picture.
#[derive(Debug, Error)]
pub enum GraphvizError {
    /// `dot` is not installed.
    #[error(
        "Graphviz `dot` was not found on PATH; install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`) or use `--format dot`"
    )]
    NotInstalled,
    /// `dot` could not be run.
    #[error("cannot run Graphviz `dot`: {0}")]
    Io(#[from] std::io::Error),
    /// `dot` failed.
    #[error("Graphviz `dot` failed ({status}): {stderr}")]
    Failed {
        /// Exit status.
        status: String,
        /// What it printed.
        stderr: String,
    },
}

/// Runs Graphviz (`program`, normally `dot`) with `-T<format>` on DOT text
/// and returns the image bytes.
pub fn run_dot(
    program: &std::ffi::OsStr,
    dot_text: &str,
    format: Image,
) -> Result<Vec<u8>, GraphvizError> {
    let flag = match format {
        Image::Svg => "-Tsvg",
        Image::Png => "-Tpng",
    };
    let mut child = match Command::new(program)
        .arg(flag)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(GraphvizError::NotInstalled);
        }
        Err(e) => return Err(e.into()),
    };
    let input = dot_text.as_bytes().to_vec();
    let mut stdin = child.stdin.take();
    // Feed stdin from a thread so a large graph cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || stdin.as_mut().map(|s| s.write_all(&input)));
    let output = child.wait_with_output()?;
    let _ = writer.join();
    if !output.status.success() || output.stdout.is_empty() {
        return Err(GraphvizError::Failed {
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(output.stdout)
}
