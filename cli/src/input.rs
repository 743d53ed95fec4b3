//! Reading an input file: memory-mapped when it is a regular file, read
//! whole otherwise (standard input, pipes, or when mapping fails).

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

/// The bytes of an input, mapped or owned.
pub enum Input {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for Input {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(m) => m,
            Input::Owned(v) => v,
        }
    }
}

/// Maps `file` read-only.
///
/// This is the command's only `unsafe` code.
fn map(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives as long as the `Input` that
    // owns it. The one hazard is another process truncating or rewriting the
    // file while it is mapped (then reads may see changed bytes or fault);
    // the reader checks every frame's checksum before it uses the frame, so
    // changed bytes are reported as damage, and a concurrent truncation is
    // the same risk `cat` or `cp` take on a file being rewritten.
    unsafe { memmap2::Mmap::map(file) }
}

/// Reads `path` (`-` is standard input).
pub fn open(path: &Path) -> std::io::Result<Input> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        return Ok(Input::Owned(bytes));
    }
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    // Empty files cannot be mapped on every platform; they are tiny anyway.
    if meta.is_file() && meta.len() > 0 {
        if let Ok(m) = map(&file) {
            return Ok(Input::Mapped(m));
        }
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Input::Owned(bytes))
}
